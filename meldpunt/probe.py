"""Health probes for ``docker compose`` (and any supervisor), runnable without Django.

``python -m meldpunt.probe worker``
    Exit 0 when the Celery worker's heartbeat file (``WORKER_HEARTBEAT_FILE``, default
    ``/tmp/meldpunt-worker-heartbeat``) was touched within ``WORKER_HEARTBEAT_MAX_AGE`` seconds
    (default 60), else 1. The worker touches it every ``WORKER_HEARTBEAT_SECONDS`` (10) while
    its event loop runs and it is connected to the broker (``meldpunt.celery.Heartbeat``).

``python -m meldpunt.probe http URL``
    Exit 0 when ``URL`` (e.g. ``http://127.0.0.1:8000/readyz``) answers 200 within 5 seconds,
    else 1.

It prints one short line saying why it failed, and nothing on success.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_HEARTBEAT_FILE = "/tmp/meldpunt-worker-heartbeat"  # noqa: S108 - per container
DEFAULT_MAX_AGE_SECONDS = 60.0


def worker_alive(*, path: Path, max_age: float, now: float | None = None) -> tuple[bool, str]:
    """Whether the heartbeat file at ``path`` is at most ``max_age`` seconds old.

    Returns:
        ``(alive, reason)``; ``reason`` is empty when alive.
    """
    try:
        modified = path.stat().st_mtime
    except FileNotFoundError:
        return False, f"no heartbeat file {path}"
    age = (time.time() if now is None else now) - modified
    if age > max_age:
        return False, f"heartbeat is {age:.0f} s old (limit {max_age:.0f} s)"
    return True, ""


def http_ok(*, url: str, timeout: float = 5.0) -> tuple[bool, str]:
    """Whether ``url`` answers 200 within ``timeout`` seconds."""
    if not url.startswith(("http://", "https://")):
        return False, "the URL must start with http:// or https://"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return response.status == 200, f"status {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"status {error.code}"
    except OSError as error:
        return False, type(error).__name__


def main(argv: list[str]) -> int:
    if argv[:1] == ["worker"] and len(argv) == 1:
        alive, reason = worker_alive(
            path=Path(os.environ.get("WORKER_HEARTBEAT_FILE") or DEFAULT_HEARTBEAT_FILE),
            max_age=float(os.environ.get("WORKER_HEARTBEAT_MAX_AGE") or DEFAULT_MAX_AGE_SECONDS))
    elif argv[:1] == ["http"] and len(argv) == 2:
        alive, reason = http_ok(url=argv[1])
    else:
        print("usage: python -m meldpunt.probe worker | http URL", file=sys.stderr)
        return 2
    if not alive:
        print(reason, file=sys.stderr)
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
