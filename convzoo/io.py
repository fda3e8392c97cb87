"""Atomic file writes: a crash never leaves a half-written file where a good one was.

Every durable step (a file written, synced, renamed; a commit switched) calls `step(label)`, so a
test can stop the process between any two of them (`set_step_hook`) and prove what survives.
"""

from __future__ import annotations

import contextlib
import errno
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


def named(e: OSError, path: str | Path) -> OSError:
    """The error with `path` as its file name when it has none (write and fsync errors name no file)."""
    if e.filename is None and e.errno is not None:
        return type(e)(e.errno, e.strerror, str(path))
    return e


def write_synced(path: str | Path, data: bytes) -> None:
    """Write bytes to a new file and fsync it (for files inside a folder that is committed later)."""
    try:
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            step(f"wrote {Path(path).name}")
            os.fsync(f.fileno())
    except OSError as e:
        raise named(e, path) from None
    step(f"synced {Path(path).name}")


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call write(temp_path) for a temp file beside `path`, fsync it, then rename it over `path`."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
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
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise named(e, path) from None
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


_WHAT_TO_DO = {
    errno.ENOSPC: "no space left on the device; free some space or write somewhere else (--out)",
    errno.EDQUOT: "disk quota exceeded; free some space or write somewhere else (--out)",
    errno.EROFS: "read-only file system; write somewhere else (--out)",
    errno.EACCES: "permission denied; choose a file or folder you may write to (--out)",
    errno.EPERM: "operation not permitted; choose a file or folder you may write to (--out)",
    errno.EISDIR: "is a folder, where a file is expected; give a file name (e.g. --out picture.png)",
    errno.ENOTDIR: "a file stands where a folder is expected; remove it or choose another path",
    errno.ENOENT: "no such file or folder",
    errno.EEXIST: "already exists; choose another path",
    errno.ENAMETOOLONG: "file name too long; choose a shorter path",
}


def describe_os_error(e: OSError) -> str | None:
    """One line for a file-system error: the path, what went wrong and what to do; None when the
    error names neither a path nor a known cause (not a file-system error a user can act on)."""
    what = _WHAT_TO_DO.get(e.errno or -1)
    path = e.filename
    if path is None:
        return what or (str(e) if e.errno is None and str(e) else None)
    return f"{path}: {what or e.strerror or e}"


def save_figure(fig, path: str | Path, dpi: int = 110) -> Path:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight"))
    finally:
        plt.close(fig)
