import os
import signal
import subprocess
import sys

import uvicorn
from django.core.management.base import BaseCommand


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


class Command(BaseCommand):
    help = "Serve eSchool: the ASGI server and, beside it, the Huey worker for background jobs."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 1))
        )
        parser.add_argument("--no-worker", action="store_true", help="do not start the Huey worker")

    def handle(self, *args, host, port, workers, no_worker, **options):
        # uvicorn re-raises the SIGTERM it shut down on once it returns; by default that kills
        # this process before `finally` stops the Huey worker, which was left running.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "manage.py", "run_huey", "--quiet"])
        self.stdout.write(f"eSchool: http://{host}:{port}/")
        try:
            uvicorn.run(
                "config.asgi:application",
                host=host,
                port=port,
                workers=workers,
                lifespan="off",
                log_level="warning",
                access_log=False,
                # A closed socket's channel-layer read can hang in redis-py; without a bound,
                # Ctrl-C or a restart waits for it forever (bench/tutoring.py saw 2-7 a run).
                timeout_graceful_shutdown=10,
            )
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=10)
