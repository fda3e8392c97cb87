"""One writer per run directory: an OS file lock (flock) held for the run's life.

The kernel drops the lock when its process dies, however it dies, so a lock left by a killed run is
never in the way; the holder's pid and host stay in the file, for the message a second writer gets.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOCK_NAME = ".lock"


class RunDirectoryBusyError(RuntimeError):
    """Another process holds the run directory's lock."""


def _holder(text: str) -> dict[str, Any]:
    try:
        info = json.loads(text)
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}


def process_alive(pid: Any) -> bool:
    """Whether a process of this id runs on this machine (one of another user's counts as running)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_free(root: str | Path) -> None:
    """Raise RunDirectoryBusyError now if another process holds the run's lock (a quick look before
    the data loads; the run takes the lock itself when it starts)."""
    if (Path(root) / LOCK_NAME).is_file():
        RunLock(root).acquire().release()


class RunLock:
    """An exclusive lock on a run directory; use as a context manager or acquire()/release()."""

    def __init__(self, root: str | Path, log: Callable[[str], None] | None = None) -> None:
        self.path = Path(root) / LOCK_NAME
        self.log = log
        self.fd: int | None = None

    def acquire(self) -> RunLock:
        """Take the lock or raise RunDirectoryBusyError naming the holder; note a stale holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
            os.close(fd)
            who = f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}"
            since = f" since {holder['started']}" if "started" in holder else ""
            raise RunDirectoryBusyError(
                f"{self.path.parent} is in use by another convzoo process ({who}{since}); "
                "wait for it to finish or choose another --out"
            ) from None
        previous = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        if previous.get("pid") and previous.get("pid") != me["pid"] and self.log is not None:
            same_host = previous.get("host") == me["host"]
            state = (
                "no longer running" if same_host and not process_alive(previous["pid"]) else "lock released"
            )
            self.log(
                f"{self.path.parent}: taking over from pid {previous['pid']} on {previous.get('host', '?')} "
                f"({state})"
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        os.fsync(fd)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)  # a clean exit leaves no holder behind
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
