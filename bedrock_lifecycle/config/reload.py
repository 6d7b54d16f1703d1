"""Hot reload: a daemon thread that polls a configuration source and puts each new, valid
version in force through a callback it is given.

The reloader never builds a runtime itself: ``apply(owner, config)`` does (the core's
``reconfigure``), raising ConfigError to reject the version, so there is one place that
turns a configuration into a client's behaviour. Rules:

- a version is the source's content (see :mod:`.sources`): the same content is never
  applied twice, and a content that was rejected is not retried until it changes;
- an empty, unparsable or too-deeply nested document, or one that fails validation, is
  rejected with a :class:`ConfigReloadWarning` (once per version) and the last good
  version stays;
- an unreachable source keeps the last good version and backs off (``ttl × 2ⁿ``, capped
  at ``max_backoff``, computed without overflow however long the outage);
- nothing a poll raises ends the thread: every exception is caught, logged and counted
  (:meth:`Reloader.stats`);
- the thread ends when its owner (the client) is closed (:meth:`Reloader.stop`) or
  garbage-collected: the reloader holds it only through a weak reference.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bedrock_lifecycle.config.schema import Config
from bedrock_lifecycle.config.sources import (
    DEFAULT_TTL,
    ConfigSource,
    DocumentError,
    SourceError,
    build,
)
from bedrock_lifecycle.errors import ConfigError

log = logging.getLogger("bedrock_lifecycle")

T = TypeVar("T")

#: Backoff doubles per consecutive failure; past this many doublings it is the cap anyway
#: (2.0 ** 1024 overflows a float, which once killed the thread after a week of outage).
_MAX_DOUBLINGS = 60


class ConfigReloadWarning(UserWarning):
    """A new configuration version was rejected, or the source could not be read;
    the last good version stays in force."""


@dataclass(frozen=True)
class ReloaderStats:
    """What a reloader has done since it started (all counts are polls)."""

    version: str | None  # the version in force
    polls: int
    applied: int  # new versions put in force
    rejected: int  # versions refused (unparsable, empty, invalid)
    source_errors: int  # the source could not be read
    unexpected_errors: int  # anything else a poll raised (caught; the thread lives on)
    consecutive_failures: int  # source or unexpected errors since the last good read
    next_delay: float  # seconds until the next poll
    last_error: str | None
    last_check: _dt.datetime | None
    running: bool


def backoff(ttl: float, failures: int, cap: float) -> float:
    """``min(ttl * 2**failures, cap)`` for any ``failures`` (no OverflowError)."""
    if failures <= 0:
        return ttl
    return min(ttl * 2.0 ** min(failures, _MAX_DOUBLINGS), max(cap, ttl))


class Reloader(Generic[T]):
    """Polls ``source`` every ``ttl`` seconds in a daemon thread; see the module docstring."""

    def __init__(
        self,
        owner: T,
        source: ConfigSource,
        *,
        apply: Callable[[T, Config], object],
        environ: Mapping[str, str],
        explicit: Any = None,
        ttl: float = DEFAULT_TTL,
        version: str | None = None,
        max_backoff: float | None = None,
    ) -> None:
        self._owner = weakref.ref(owner)
        self.source = source
        self._apply = apply
        self.environ = dict(environ)
        self.explicit = explicit
        self.ttl = ttl
        self.max_backoff = 10 * ttl if max_backoff is None else max_backoff
        self.version = version
        self.rejected: str | None = None  # the last version refused, so it warns once
        self.last_error: str | None = None
        self.last_check: _dt.datetime | None = None
        self._counts = {"polls": 0, "applied": 0, "rejected": 0, "source_errors": 0, "unexpected_errors": 0}
        self._streak = 0  # consecutive failed polls
        self._lock = threading.Lock()  # one poll at a time (the thread, or a caller of check())
        self._stop = threading.Event()
        # The owner's death stops the thread at once, not at the next poll.
        self._finalizer = weakref.finalize(owner, self._stop.set)
        self._thread = threading.Thread(target=self._run, name="bedrock-lifecycle-config", daemon=True)

    # ------------------------------------------------------------------ life cycle

    def start(self) -> Reloader[T]:
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop polling; with ``timeout``, wait up to that long for the thread to end."""
        self._stop.set()
        if timeout is not None and self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True when it has."""
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.wait(self.next_delay()):
            if self._owner() is None:
                break
            self.check()  # never raises

    # ------------------------------------------------------------------ polling

    @property
    def failures(self) -> int:
        """Consecutive failed polls (what the backoff follows)."""
        return self._streak

    def next_delay(self) -> float:
        return backoff(self.ttl, self._streak, self.max_backoff)

    def check(self) -> bool:
        """One poll; True when a new version was put in force. Never raises."""
        with self._lock:
            self._counts["polls"] += 1
            self.last_check = _dt.datetime.now(_dt.timezone.utc)
            try:
                return self._poll()
            except Exception as exc:  # a bug or a hostile input: the thread must live on
                self._counts["unexpected_errors"] += 1
                self._fail(f"unexpected {type(exc).__name__} in a configuration poll: {exc}", exc)
                return False

    def _poll(self) -> bool:
        owner = self._owner()
        if owner is None:
            self._stop.set()
            return False
        try:
            doc = self.source.fetch()
        except SourceError as exc:
            self._counts["source_errors"] += 1
            self._fail(str(exc), None)
            return False
        except DocumentError as exc:  # read, but not a configuration version
            self._recovered()
            return self._reject(exc.version, str(exc))
        self._recovered()
        if doc.version == self.version or doc.version == self.rejected:
            return False
        try:
            cfg = build(doc, self.explicit, self.environ)
            self._apply(owner, cfg)
        except ConfigError as exc:
            return self._reject(doc.version, str(exc))
        log.info("bedrock-lifecycle configuration %s in force (was %s)", doc.version, self.version)
        self.version = doc.version
        self.last_error = None
        self._counts["applied"] += 1
        return True

    def _fail(self, text: str, exc: BaseException | None) -> None:
        self._streak += 1
        self.last_error = text
        message = f"{text}; keeping configuration version {self.version} (retry in {self.next_delay():.3g} s)"
        if self._streak == 1:
            _warn(message)
            if exc is not None:
                log.debug("bedrock-lifecycle: configuration poll failure", exc_info=exc)
        elif self._streak & (self._streak - 1) == 0:  # 2, 4, 8 ...: a long outage stays visible, not noisy
            log.warning("bedrock-lifecycle: %s (%d consecutive failures)", message, self._streak)
        else:
            log.debug("bedrock-lifecycle: %s", message)

    def _recovered(self) -> None:
        if self._streak:
            log.info("bedrock-lifecycle: configuration source %s readable again after %d failures",
                     self.source.name, self._streak)
            self._streak = 0

    def _reject(self, version: str, why: str) -> bool:
        if version != self.rejected:
            self.rejected = version
            self._counts["rejected"] += 1
            _warn(f"configuration version {version} rejected, keeping {self.version}: {why}")
        self.last_error = why
        return False

    def stats(self) -> ReloaderStats:
        c = self._counts
        return ReloaderStats(
            version=self.version, polls=c["polls"], applied=c["applied"], rejected=c["rejected"],
            source_errors=c["source_errors"], unexpected_errors=c["unexpected_errors"],
            consecutive_failures=self._streak, next_delay=self.next_delay(), last_error=self.last_error,
            last_check=self.last_check, running=self.running,
        )


def _warn(text: str) -> None:
    log.warning("%s", text)
    warnings.warn(text, ConfigReloadWarning, stacklevel=3)


__all__ = ["ConfigReloadWarning", "Reloader", "ReloaderStats", "backoff"]
