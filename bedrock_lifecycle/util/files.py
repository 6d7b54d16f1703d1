"""Private files and directories for what the library writes from calls (layer L0).

Shadow logs, metrics snapshots and caches may hold prompts, answers or usage: every file
the library creates or appends to is ``0600`` and every directory it creates ``0700``,
whatever the process umask (``mkdir``/``open`` modes are masked by it, so the mode is set
again explicitly) and whoever created a directory first.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

_POSIX = hasattr(os, "fchmod") and hasattr(os, "getuid")


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Make ``path`` a directory only its owner can use, and return it.

    Every directory created on the way (missing parents included) is ``0700``. When
    ``path`` itself exists, is owned by this user and is open to others, it is tightened
    to ``0700``; directories above it that already exist are left as they are (a home or
    ``~/.cache`` is not ours to change). Raises ``OSError`` when it cannot be created.
    """
    p = Path(path).expanduser()
    missing: list[Path] = []
    probe = p
    while not probe.is_dir():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, PRIVATE_DIR)
        except FileExistsError:
            if not d.is_dir():
                raise
            continue  # another process made it at the same moment: tightened below if ours
        if _POSIX:
            os.chmod(d, PRIVATE_DIR)  # the umask may have taken bits away (or left group bits)
    if _POSIX:
        st = os.stat(p)
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) != PRIVATE_DIR:
            os.chmod(p, PRIVATE_DIR)
    return p


@dataclass(frozen=True, slots=True)
class PrivateAppend:
    """A descriptor open for appending, and the mode the file had when it was wider than
    ``0600`` (now tightened; the caller says so), else None."""

    fd: int
    loosened: int | None = None


def open_private_append(path: str | os.PathLike[str]) -> PrivateAppend:
    """Open ``path`` for appending (``O_APPEND``: whole writes stay whole with several
    writers), created ``0600`` when missing. An existing regular file of this user that is
    open to others is tightened to ``0600`` and its old mode reported; one that cannot be
    tightened (another user's) is refused with ``PermissionError``. Devices and pipes
    (``/dev/stdout``) are opened as they are. The directory is not created.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(os.fspath(Path(path).expanduser()), flags, PRIVATE_FILE)
    if not _POSIX:
        return PrivateAppend(fd)
    try:
        st = os.fstat(fd)
        mode = stat.S_IMODE(st.st_mode)
        if not stat.S_ISREG(st.st_mode) or mode == PRIVATE_FILE:
            return PrivateAppend(fd)
        if st.st_uid != os.getuid():
            if mode & 0o077:
                raise PermissionError(errno.EPERM, f"mode {mode:04o} lets others read it, and it belongs "
                                      f"to another user (uid {st.st_uid}), so it cannot be made 0600")
            return PrivateAppend(fd)
        os.fchmod(fd, PRIVATE_FILE)
        return PrivateAppend(fd, mode if mode & 0o077 else None)
    except BaseException:
        os.close(fd)
        raise
