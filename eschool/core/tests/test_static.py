def test_the_upload_progress_script_is_served_by_the_app(client, db):
    response = client.get("/static/js/upload-progress.js")

    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert b"xhr.upload.addEventListener" in body


def test_htmx_comes_from_the_npm_package_and_is_served_by_the_app(client, db):
    response = client.get("/static/vendor/htmx/htmx.min.js")

    assert response.status_code == 200
