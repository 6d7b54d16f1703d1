"""The shadow log: one JSON line per (primary, shadow) pair, appended to a private file.

The file is opened ``O_APPEND`` (whole lines even with several writers) and kept ``0600``
whatever the umask: records may hold prompts and answers (``record_text``). A log that
cannot be opened fails client creation with a
:class:`~bedrock_lifecycle.errors.ConfigError` naming the path and the reason
(:func:`check_log`); one that fails later is warned about once through :mod:`warnings`
(:class:`ShadowLogWarning`) and the log, and every record lost is counted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import warnings
from typing import Any

from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.util.files import open_private_append

log = logging.getLogger("bedrock_lifecycle")


class ShadowLogWarning(UserWarning):
    """Shadow records are being lost (the log cannot be written), or the log was open to
    other users and has been tightened to ``0600``."""


LOG_KEY = "[shadow] log (BEDROCK_LIFECYCLE_SHADOW_LOG)"


def _warn(text: str) -> None:
    log.warning("%s", text)
    warnings.warn(text, ShadowLogWarning, stacklevel=3)


def _os_reason(exc: OSError, path: str) -> str:
    reason = exc.strerror or str(exc)
    parent = os.path.dirname(os.path.abspath(os.path.expanduser(path)))
    if isinstance(exc, FileNotFoundError) and not os.path.isdir(parent):
        reason += f" (the directory {parent} does not exist)"
    return reason


def _open_log(path: str) -> int:
    """The log's descriptor (see :func:`~bedrock_lifecycle.util.files.open_private_append`),
    warning when it had to be tightened."""
    opened = open_private_append(path)
    if opened.loosened is not None:
        _warn(f"bedrock-lifecycle shadow log {path!r} was mode {opened.loosened:04o} (readable by "
              "others) and records may hold prompts and answers: tightened to 0600")
    return opened.fd


def check_log(config: Any) -> None:
    """Open (creating it ``0600``) the shadow log ``config`` names, or raise
    :class:`~bedrock_lifecycle.errors.ConfigError` naming the path and the reason.

    Call it before a configuration version is put in force, so a log that cannot be
    written fails client creation or the reload instead of losing every record."""
    path = log_path(config)
    if path is not None:
        sink = Sink()
        sink.open(path)
        sink.close()


def log_path(config: Any) -> str | None:
    sink = getattr(config, "shadow", None)
    return getattr(sink, "log", None) or None


class Sink:
    """Append-only JSONL file: one ``os.write`` per line on an ``O_APPEND`` descriptor
    (whole lines even with several writers), ``0600`` (records may hold texts).

    A failure is logged and warned about (:class:`ShadowLogWarning`) once per failing path
    until a write succeeds again; every record lost is counted by the caller."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._path: str | None = None
        self._fd: int | None = None
        self._failed_path: str | None = None

    def open(self, path: str, *, strict: bool = True) -> bool:
        """Open ``path`` now; later records go to it. On failure raise
        :class:`~bedrock_lifecycle.errors.ConfigError` naming the path and the reason, or
        (``strict=False``) warn once and return False."""
        with self._lock:
            self._close_locked()
            try:
                self._fd, self._path, self._failed_path = _open_log(path), path, None
            except OSError as exc:
                if strict:
                    raise ConfigError(f"{LOG_KEY}: cannot open {path!r} for appending: "
                                      f"{_os_reason(exc, path)}") from None
                self._failure(path, exc)
                return False
            return True

    def write(self, path: str, record: dict[str, Any]) -> bool:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            try:
                if self._fd is None or path != self._path:
                    self._close_locked()
                    self._fd = _open_log(path)
                    self._path = path
                view = memoryview(line)
                while view:
                    n = os.write(self._fd, view)
                    view = view[n:]
                self._failed_path = None
                return True
            except OSError as exc:
                self._close_locked()
                self._failure(path, exc)
                return False

    def _failure(self, path: str, exc: OSError) -> None:  # holds self._lock
        if self._failed_path != path:  # once per failing path, not per record
            self._failed_path = path
            _warn(f"bedrock-lifecycle shadow log {path!r}: cannot write: {_os_reason(exc, path)}; "
                  "shadow records are lost until it can (counted in stats()['write_errors'])")

    def _close_locked(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = self._path = None

    def close(self) -> None:
        with self._lock:
            self._close_locked()
