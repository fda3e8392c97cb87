"""Atomic file writes: a crash never leaves a half-written file where a good one was.

Every durable step (a file written, synced, renamed; a commit switched) calls `step(label)`, so a
test can stop the process between any two of them (`set_step_hook`) and prove what survives.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

_step_hook: Callable[[str], None] | None = None


def set_step_hook(hook: Callable[[str], None] | None) -> None:
    """Call hook(label) at every durable step of a write (None: no hook); for crash tests."""
    global _step_hook
    _step_hook = hook


def step(label: str) -> None:
    """Mark one durable step (see set_step_hook)."""
    if _step_hook is not None:
        _step_hook(label)


def fsync_dir(path: str | Path) -> None:
    """Make the renames inside a directory durable (a no-op where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_synced(path: str | Path, data: bytes) -> None:
    """Write bytes to a new file and fsync it (for files inside a folder that is committed later)."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        step(f"wrote {Path(path).name}")
        os.fsync(f.fileno())
    step(f"synced {Path(path).name}")


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call write(temp_path) for a temp file beside `path`, fsync it, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the file should get the usual permissions
    try:
        write(tmp)
        step(f"wrote {path.name}")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        step(f"synced {path.name}")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    step(f"renamed {path.name}")
    fsync_dir(path.parent)  # make the rename itself durable
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write bytes to `path` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def remove_orphans(folder: str | Path) -> list[Path]:
    """Delete the temp files (`.NAME.*.tmp`) interrupted atomic writes left in a folder."""
    removed = []
    for p in Path(folder).glob(".*.tmp"):
        if p.is_file() or p.is_symlink():
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def save_figure(fig, path: str | Path, dpi: int = 110) -> Path:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight"))
    finally:
        plt.close(fig)
