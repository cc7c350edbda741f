"""The line in front of Django: at most N requests inside at once, streams leave it early."""

import asyncio

from eschool.core.request_line import request_line


class Inside:
    """An ASGI app standing in for Django: counts who is inside, answers when told."""

    def __init__(self):
        self.now = 0
        self.most = 0
        self.go = asyncio.Event()
        self.finish_download = asyncio.Event()

    async def __call__(self, scope, receive, send):
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await self.go.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            if scope["path"] == "/download":
                await send({"type": "http.response.body", "body": b"a", "more_body": True})
                await self.finish_download.wait()
            await send({"type": "http.response.body", "body": b"b"})
        finally:
            self.now -= 1


async def call(app, path="/", kind="http"):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    await app({"type": kind, "path": path}, receive, send)
    return sent


def test_at_most_the_limit_of_requests_are_inside_at_once():
    async def scenario():
        inside = Inside()
        app = request_line(inside, limit=3)
        calls = [asyncio.create_task(call(app)) for _ in range(10)]
        await asyncio.sleep(0)
        waiting_at_first = inside.now
        inside.go.set()
        answers = await asyncio.gather(*calls)
        return waiting_at_first, inside.most, answers

    first, most, answers = asyncio.run(scenario())

    assert (first, most) == (3, 3)
    assert [[m["type"] for m in a] for a in answers] == [
        ["http.response.start", "http.response.body"]
    ] * 10


def test_a_streamed_download_gives_its_place_to_the_next_request():
    async def scenario():
        inside = Inside()
        app = request_line(inside, limit=1)
        download = asyncio.create_task(call(app, "/download"))
        page = asyncio.create_task(call(app, "/"))
        await asyncio.sleep(0)
        alone = inside.now
        inside.go.set()
        # The page is answered while the download is still streaming.
        answered = await asyncio.wait_for(page, timeout=5)
        streaming = not download.done()
        inside.finish_download.set()
        await download
        return alone, inside.most, streaming, len(answered)

    assert asyncio.run(scenario()) == (1, 2, True, 2)


def test_websockets_and_a_limit_of_zero_pass_by():
    inside = Inside()
    inside.go.set()

    assert request_line(inside, limit=0) is inside
    asyncio.run(call(request_line(inside, limit=1), kind="websocket"))
    assert inside.most == 1
