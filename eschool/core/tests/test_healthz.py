def test_healthz_answers_when_the_database_does(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    # A real unreachable database, in a process of its own: SQLite at a path
    # whose folder does not exist cannot be opened.
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        ESCHOOL_DATA_DIR=str(tmp_path),
        ESCHOOL_SQLITE_PATH=str(tmp_path / "missing" / "eschool.sqlite3"),
        DJANGO_SETTINGS_MODULE="config.settings",
        ESCHOOL_LOG_LEVEL="CRITICAL",
    )
    script = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, r.content.decode())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "503 database unavailable"
