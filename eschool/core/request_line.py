"""A line in front of Django: one worker lets at most N HTTP requests into Django at once.

Django runs each request's ORM work in a thread of its own, with a database
connection of its own (ESCHOOL_DB_CONN_MAX_AGE 0 under ASGI). A burst of
requests (500 students pressing "book" at 8:00) would ask PostgreSQL for as
many connections at once, past its max_connections (100 by default), and most
would fail with "too many clients". In the line they wait their turn instead,
in the event loop, for a few milliseconds each (bench/booking_storm.py).

The limit is settings.ESCHOOL_REQUESTS_PER_WORKER (0: no line). Set it so that
workers × limit, plus the Huey worker and management commands, stays below
PostgreSQL's (or PgBouncer's) max_connections.

A request leaves the line once its response is sent, or as soon as it streams a
long body: a download to a phone on a slow network must not hold a place for
minutes. Views that stream give their database connection back first (see
eschool.classroom.views.courses.material_download).
"""

import asyncio


def request_line(app, *, limit: int):
    """`app` (ASGI) behind a line of `limit` HTTP requests; WebSockets pass by."""
    if limit <= 0:
        return app
    line = asyncio.Semaphore(limit)

    async def in_line(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        await line.acquire()
        inside = True

        def leave() -> None:
            nonlocal inside
            if inside:
                inside = False
                line.release()

        async def send_and_leave_when_streaming(message) -> None:
            if message["type"] == "http.response.body" and message.get("more_body"):
                leave()
            await send(message)

        try:
            return await app(scope, receive, send_and_leave_when_streaming)
        finally:
            leave()

    return in_line
