"""The small asyncio HTTP/1.1 client the page benchmarks load a server with (keep-alive GETs).

Not a benchmark itself (`make bench` skips files starting with `_`).
"""

import asyncio
import time


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def fetch(reader, writer, request: bytes) -> tuple[int, int]:
    """One request on a keep-alive HTTP/1.1 connection: (status, body bytes)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
        return status, len(body)
    if headers.get("transfer-encoding", "").lower() == "chunked":
        size = 0
        while True:
            chunk_size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if chunk_size == 0:
                await reader.readuntil(b"\r\n")
                return status, size
            size += len(await reader.readexactly(chunk_size))
            await reader.readexactly(2)
    raise RuntimeError("response without a length")


async def load(
    port: int, path: str, *, connections: int, requests: int, seconds: float, cookie: str = ""
) -> dict:
    """Up to `requests` GETs of `path` (with `cookie`, if any) over `connections` keep-alive
    connections, for at most `seconds`; any answer but 200 stops the run.

    Returns rps (requests per second), done (requests answered), p99_ms (the latency of one
    request under that load), sizes (every body size seen) and size (the last one's).
    """
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: keep-alive\r\n"
    request = (head + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n").encode()
    remaining = requests
    latencies: list[float] = []
    sizes: set[int] = set()
    last_size = 0
    deadline = time.monotonic() + seconds

    async def connection():
        nonlocal remaining, last_size
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                sent = time.perf_counter()
                status, last_size = await fetch(reader, writer, request)
                latencies.append(time.perf_counter() - sent)
                sizes.add(last_size)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {
        "rps": len(latencies) / elapsed,
        "done": len(latencies),
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "sizes": sizes,
        "size": last_size,
    }
