"""Private files and directories: atomic writes with exact modes, whatever the umask.

Every file the library writes holds data about the caller's usage, so it is created
0600 and every directory it creates 0700. ``os.open``/``os.mkdir`` modes are masked by
the umask (which can also *remove* the owner's own bits), so the mode is set explicitly
after creation with ``fchmod``/``chmod``. Directories that already exist are left as they
are unless ``tighten=True`` (a user may point a setting at a shared directory).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILE_MODE = 0o600
DIR_MODE = 0o700


def ensure_private_dir(path: Path | str, *, tighten: bool = False) -> Path:
    """Create ``path`` and any missing parents with mode 0700 (exactly); return it.

    Parents created here are 0700 too (``os.makedirs`` would create them 0777 & ~umask).
    An existing directory keeps its mode unless ``tighten`` is true and we own it.
    """
    p = Path(path)
    missing: list[Path] = []
    cur = p
    while not cur.is_dir():
        missing.append(cur)
        if cur.parent == cur:
            break
        cur = cur.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, DIR_MODE)
        except FileExistsError:
            if not d.is_dir():
                raise
            continue  # created concurrently by someone else: not ours to chmod
        os.chmod(d, DIR_MODE)
    if tighten and not missing:
        st = p.stat()
        if (st.st_mode & 0o777) != DIR_MODE and (not hasattr(os, "getuid") or st.st_uid == os.getuid()):
            os.chmod(p, DIR_MODE)
    return p


def atomic_write_bytes(path: Path | str, data: bytes, *, mode: int = FILE_MODE) -> None:
    """Write ``data`` to ``path`` atomically: readers see the old file or the new, never a part.

    A temp file in the same directory (mode ``mode`` exactly, created with O_EXCL), fsync,
    then ``os.replace``. Missing parent directories are created 0700. On failure the temp
    file is removed and the old file is untouched.
    """
    target = Path(path)
    ensure_private_dir(target.parent)
    tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, mode)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)  # whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path | str, text: str, *, mode: int = FILE_MODE) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def atomic_write_json(path: Path | str, doc: Mapping[str, Any] | list[Any], *, mode: int = FILE_MODE) -> None:
    """JSON, indented and key-sorted (diff-friendly), with a trailing newline."""
    atomic_write_text(path, json.dumps(doc, indent=1, sort_keys=True) + "\n", mode=mode)


@dataclass(frozen=True, slots=True)
class PrivateAppend:
    """A descriptor open for appending, and the mode the file had when it was wider than
    0600 (now tightened; the caller says so), else None."""

    fd: int
    loosened: int | None = None


def open_private_append(path: Path | str) -> PrivateAppend:
    """Open ``path`` for appending (``O_APPEND``: whole writes stay whole with several
    writers), created 0600 when missing, whatever the umask. An existing regular file of
    this user that others can open is tightened to 0600 and its old mode reported; one
    that cannot be tightened (another user's) is refused with ``PermissionError``. Devices
    and pipes (``/dev/stdout``) are opened as they are. The directory is not created.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    # O_NONBLOCK: a FIFO nobody reads fails at once (ENXIO) instead of blocking the open for
    # ever; the descriptor is made blocking again for the writes.
    nonblock = getattr(os, "O_NONBLOCK", 0)
    fd = os.open(os.fspath(Path(path).expanduser()), flags | nonblock, FILE_MODE)
    if nonblock:
        os.set_blocking(fd, True)
    if not (hasattr(os, "fchmod") and hasattr(os, "getuid")):
        return PrivateAppend(fd)
    try:
        st = os.fstat(fd)
        mode = stat.S_IMODE(st.st_mode)
        if not stat.S_ISREG(st.st_mode) or mode == FILE_MODE:
            return PrivateAppend(fd)
        if st.st_uid != os.getuid():
            if mode & 0o077:
                raise PermissionError(errno.EPERM, f"mode {mode:04o} lets others read it, and it belongs "
                                      f"to another user (uid {st.st_uid}), so it cannot be made 0600")
            return PrivateAppend(fd)
        os.fchmod(fd, FILE_MODE)  # new (the umask may have masked bits) or wider than 0600
        return PrivateAppend(fd, mode if mode & 0o077 else None)
    except BaseException:
        os.close(fd)
        raise


__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "PrivateAppend",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "ensure_private_dir",
    "open_private_append",
]
