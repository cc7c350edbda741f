"""Is the PostgreSQL + Redis leg runnable here?

Exit 0 when both services answer. Otherwise print why: outside CI that skips the
leg (exit 1, which the Makefile takes as "skip"); with CI=true it is a failure
(exit 2).
"""

import os
import sys
from urllib.parse import urlparse


def main() -> int:
    pg_url, redis_url = sys.argv[1], sys.argv[2]
    problems = []
    try:
        import psycopg

        with psycopg.connect(pg_url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means the leg cannot run
        problems.append(f"PostgreSQL at {urlparse(pg_url).netloc} does not answer: {exc}")
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        problems.append(f"Redis at {urlparse(redis_url).netloc} does not answer: {exc}")
    if not problems:
        return 0
    for problem in problems:
        print(f"SKIPPED the PostgreSQL + Redis leg: {problem}")
    if os.environ.get("CI", "").lower() == "true":
        print("CI=true: a missing service is a failure, not a skip.")
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
