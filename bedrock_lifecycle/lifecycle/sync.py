"""Refresh lifecycle data from the Bedrock control plane and keep it in a disk cache.

``sync(regions)`` reads ``ListFoundationModels`` in each region (plus ``GetFoundationModel``
for a LEGACY model whose summary carries no dates), maps ``modelLifecycle`` to
``LifecycleEntry(source="api", regions={region})`` and writes
``<cache dir>/lifecycle-cache.json`` atomically with mode 0600. Nothing here runs on a
request path: sync is explicit (CLI ``sync`` or a call from the application).

Concurrent syncs (several processes, other regions) are safe: the network reads happen
without a lock, then the read-merge-write of the cache runs under a file lock
(``lifecycle-cache.json.lock``, the ``filelock`` library), and the regions this sync read
are merged into whatever the file holds by then, so no region another process wrote is lost.

A region whose call fails keeps its last good data and is reported; a corrupt, foreign or
other-schema cache file is ignored with one warning and rebuilt by the next sync.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import sys
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cachetools import TTLCache
from filelock import FileLock, Timeout

from bedrock_lifecycle.clock import InstantError, env_clock, parse_instant
from bedrock_lifecycle.errors import describe_error
from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.lifecycle.model import LifecycleEntry, State
from bedrock_lifecycle.util import jsonlimits
from bedrock_lifecycle.util.aws import aws_client
from bedrock_lifecycle.util.files import FILE_MODE, atomic_write_json, ensure_private_dir

if TYPE_CHECKING:
    import boto3

    from bedrock_lifecycle.lifecycle.registry import Registry

log = logging.getLogger("bedrock_lifecycle.sync")

UTC = _dt.timezone.utc
CACHE_SCHEMA = "bedrock-lifecycle/sync-cache"
CACHE_SCHEMA_VERSION = 1
CACHE_FILENAME = "lifecycle-cache.json"
ENV_CACHE_DIR = "BEDROCK_LIFECYCLE_CACHE_DIR"
DISK_CACHE_TTL = 300.0  # seconds Registry.default() trusts what it read from disk
LOCK_TIMEOUT = 60.0  # seconds a sync waits for another sync's read-merge-write
MAX_DEPTH = 16  # the cache nests 5 levels; anything deeper is not ours

ClientFactory = Callable[[str], Any]

_API_STATUS = {
    "ACTIVE": State.ACTIVE,
    "LEGACY": State.LEGACY,
    # Not in botocore's enum today; mapped in case the service adds them.
    "PUBLIC_EXTENDED_ACCESS": State.EXTENDED_ACCESS,
    "EXTENDED_ACCESS": State.EXTENDED_ACCESS,
    "EOL": State.EOL,
    "END_OF_LIFE": State.EOL,
}
_API_DATES = (
    ("legacyTime", "legacy"),
    ("publicExtendedAccessTime", "extended_access"),
    ("endOfLifeTime", "eol"),
    ("startOfLifeTime", "start_of_life"),
)


class CacheWarning(UserWarning):
    """The sync cache could not be used (corrupt, foreign, other schema) or a region failed."""


# --------------------------------------------------------------------------- paths


def default_cache_root(
    environ: Mapping[str, str] | None = None, platform: str | None = None, home: Path | None = None
) -> Path:
    """The platform's per-user cache directory for this library (pure given its arguments)."""
    env = os.environ if environ is None else environ
    plat = sys.platform if platform is None else platform
    home_dir = Path.home() if home is None else home
    if plat.startswith("win"):
        local = env.get("LOCALAPPDATA")
        base = Path(local) if local else home_dir / "AppData" / "Local"
    elif plat == "darwin":
        base = home_dir / "Library" / "Caches"
    else:
        xdg = env.get("XDG_CACHE_HOME")
        base = Path(xdg) if xdg and os.path.isabs(xdg) else home_dir / ".cache"
    return base / "bedrock-lifecycle"


def resolve_cache_dir(cache_dir: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Argument > ``BEDROCK_LIFECYCLE_CACHE_DIR`` > platform default. The file lives directly in it."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ if environ is None else environ
    override = env.get(ENV_CACHE_DIR)
    if override:
        return Path(override)
    return default_cache_root(env)


def cache_file(cache_dir: Path | str | None = None) -> Path:
    return resolve_cache_dir(cache_dir) / CACHE_FILENAME


# --------------------------------------------------------------------------- records <-> entries


def _iso(d: _dt.datetime | None) -> str | None:
    if d is None:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d.astimezone(UTC).isoformat().replace("+00:00", "Z")


def record_from_api(summary: Mapping[str, Any]) -> dict[str, Any] | None:
    """A cache record from a ``FoundationModelSummary`` / ``FoundationModelDetails``.

    None for provisioned context-window variants (``<model>:<minor>:<ctx>``): the registry
    reads those as their model, whose own summary carries the lifecycle.
    """
    model_id = summary.get("modelId")
    if not isinstance(model_id, str):
        return None
    try:
        mid = parse_model_id(model_id)
    except ModelIdError:
        return None
    if mid.kind != "foundation-model" or mid.base_model_id is None or mid.context_window is not None:
        return None
    lifecycle = summary.get("modelLifecycle") or {}
    rec: dict[str, Any] = {
        "model_id": mid.base_model_id,
        "name": summary.get("modelName") or "",
        "provider": summary.get("providerName") or "",
        "status": lifecycle.get("status"),
    }
    for api_name, name in _API_DATES:
        value = lifecycle.get(api_name)
        rec[name] = _iso(value) if isinstance(value, _dt.datetime) else (value if isinstance(value, str) else None)
    return rec


def _has_dates(rec: Mapping[str, Any]) -> bool:
    return any(rec.get(k) for k in ("legacy", "extended_access", "eol"))


def entry_from_record(rec: Mapping[str, Any], region: str, synced_at: str) -> LifecycleEntry:
    """Raises ValueError/KeyError/InstantError on a malformed record (the caller rejects the file)."""
    model_id = rec["model_id"]
    if not isinstance(model_id, str):
        raise ValueError(f"model_id {model_id!r}")
    mid = parse_model_id(model_id)
    if mid.base_model_id is None:
        raise ValueError(f"{model_id!r} names no base model")

    def when(name: str) -> _dt.datetime | None:
        v = rec.get(name)
        if v is None:
            return None
        if not isinstance(v, str):
            raise ValueError(f"{model_id}.{name}: {v!r}")
        return parse_instant(v, field=f"{model_id}.{name}")

    status = rec.get("status")
    if status is not None and not isinstance(status, str):
        raise ValueError(f"{model_id}.status: {status!r}")
    synced = parse_instant(synced_at, field="synced_at")
    return LifecycleEntry(
        model_id=mid.base_model_id,
        regions=frozenset({region}),
        legacy=when("legacy"),
        extended_access=when("extended_access"),
        eol=when("eol"),
        launch=when("start_of_life"),  # startOfLifeTime: the launch date the guarantees count from
        name=str(rec.get("name") or ""),
        provider=str(rec.get("provider") or ""),
        source="api",
        provenance=f"ListFoundationModels {region} {synced_at}",
        as_of=synced.date(),
        status=None if status is None else _API_STATUS.get(status.upper()),
    )


def entries_from_document(doc: Mapping[str, Any]) -> tuple[LifecycleEntry, ...]:
    out: list[LifecycleEntry] = []
    for region, block in doc["regions"].items():
        synced_at = block["synced_at"]
        if not isinstance(region, str) or not isinstance(synced_at, str) or not isinstance(block["models"], list):
            raise ValueError(f"region block {region!r} is malformed")
        parse_instant(synced_at, field=f"{region}.synced_at")
        for rec in block["models"]:
            out.append(entry_from_record(rec, region, synced_at))
    return tuple(out)


# --------------------------------------------------------------------------- disk cache

_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def _warn_once(path: Path, reason: str) -> None:
    try:
        st = path.stat()
        stamp = f"{st.st_mtime_ns}:{st.st_size}"
    except OSError:
        stamp = "-"
    key = (str(path), f"{reason}@{stamp}")
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    msg = f"bedrock-lifecycle: ignoring sync cache {path}: {reason} (the next sync rebuilds it)"
    log.warning(msg)
    warnings.warn(msg, CacheWarning, stacklevel=3)


def read_document(path: Path) -> dict[str, Any] | None:
    """The cache document, validated; None when missing or unusable (warned once)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        _warn_once(path, f"cannot read it ({exc.strerror or exc})")
        return None
    try:
        doc = jsonlimits.loads(raw, max_depth=MAX_DEPTH, what="the cache")
    except jsonlimits.JSONDepthError as exc:
        _warn_once(path, str(exc))
        return None
    except (UnicodeDecodeError, ValueError):
        _warn_once(path, "not valid JSON (corrupt)")
        return None
    if not isinstance(doc, dict) or doc.get("schema") != CACHE_SCHEMA:
        _warn_once(path, f"not a bedrock-lifecycle sync cache (expected schema {CACHE_SCHEMA!r})")
        return None
    if doc.get("schema_version") != CACHE_SCHEMA_VERSION:
        _warn_once(
            path, f"schema_version {doc.get('schema_version')!r}, this version reads {CACHE_SCHEMA_VERSION}"
        )
        return None
    try:
        if not isinstance(doc.get("regions"), dict):
            raise ValueError("'regions' is not an object")
        entries_from_document(doc)  # validates every record
    except (KeyError, TypeError, ValueError, AttributeError, InstantError, ModelIdError) as exc:
        _warn_once(path, f"malformed content ({type(exc).__name__}: {exc})")
        return None
    return doc


def load_cache(path: Path) -> tuple[LifecycleEntry, ...]:
    """Entries from the cache file at ``path``; () when missing or unusable."""
    doc = read_document(path)
    return () if doc is None else entries_from_document(doc)


_memo: TTLCache[str, tuple[LifecycleEntry, ...]] = TTLCache(maxsize=16, ttl=DISK_CACHE_TTL)
_memo_lock = threading.Lock()


def cached_api_entries(cache_dir: Path | str | None = None) -> tuple[LifecycleEntry, ...]:
    """``load_cache`` memoised per file for ``DISK_CACHE_TTL`` seconds (Registry.default uses it)."""
    path = cache_file(cache_dir)
    key = str(path)
    with _memo_lock:
        hit = _memo.get(key)
    if hit is not None:
        return hit
    loaded = load_cache(path)
    with _memo_lock:
        _memo[key] = loaded
    return loaded


def forget_cached(cache_dir: Path | str | None = None) -> None:
    """Drop the memoised disk read (after a sync wrote the file, or in tests)."""
    with _memo_lock:
        if cache_dir is None and os.environ.get(ENV_CACHE_DIR) is None:
            _memo.clear()
        else:
            _memo.pop(str(cache_file(cache_dir)), None)


def write_document(path: Path, doc: Mapping[str, Any]) -> None:
    """Write atomically, file 0600 and created directories 0700 (util.files)."""
    atomic_write_json(path, dict(doc))


def lock_file(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


# --------------------------------------------------------------------------- sync


def _document(blocks: Mapping[str, Any], stamp: str) -> dict[str, Any]:
    return {
        "schema": CACHE_SCHEMA,
        "schema_version": CACHE_SCHEMA_VERSION,
        "written_at": stamp,
        "regions": dict(sorted(blocks.items())),
    }


@dataclass(frozen=True, slots=True)
class RegionResult:
    region: str
    ok: bool
    models: int = 0  # models recorded for the region (after this sync, or kept)
    legacy: int = 0
    dated: int = 0  # models with at least one lifecycle date
    error: str | None = None
    kept_previous: bool = False  # failed, and last good data from synced_at is kept
    synced_at: str | None = None
    detail_errors: int = 0  # GetFoundationModel calls that failed (status-only kept)

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region, "ok": self.ok, "models": self.models, "legacy": self.legacy,
            "dated": self.dated, "error": self.error, "kept_previous": self.kept_previous,
            "synced_at": self.synced_at, "detail_errors": self.detail_errors,
        }


@dataclass(frozen=True)
class SyncReport:
    results: tuple[RegionResult, ...]
    cache_path: Path
    written: bool
    cache_error: str | None = None
    entries: tuple[LifecycleEntry, ...] = field(default=(), repr=False)

    @property
    def ok_regions(self) -> list[str]:
        return [r.region for r in self.results if r.ok]

    @property
    def failed_regions(self) -> list[str]:
        return [r.region for r in self.results if not r.ok]

    @property
    def all_failed(self) -> bool:
        return bool(self.results) and not self.ok_regions

    def to_json(self) -> dict[str, Any]:
        return {
            "cache_path": str(self.cache_path),
            "written": self.written,
            "cache_error": self.cache_error,
            "regions": [r.to_json() for r in self.results],
            "ok": not self.all_failed and self.cache_error is None,
        }


def _session_factory(session: boto3.Session | None) -> ClientFactory:
    holder: list[Any] = [session]

    def factory(region: str) -> Any:
        if holder[0] is None:
            import boto3

            holder[0] = boto3.Session()
        # The normal boto3 chain: credentials, AWS_ENDPOINT_URL_BEDROCK, profiles.
        return aws_client("bedrock", region=region, session=holder[0], purpose="sync")

    return factory



def fetch_region(client: Any) -> tuple[list[dict[str, Any]], int]:
    """Records for one region: (records, failed GetFoundationModel calls). Raises on listing failure."""
    response = client.list_foundation_models()
    by_key: dict[str, dict[str, Any]] = {}
    detail_errors = 0
    for summary in response.get("modelSummaries") or ():
        rec = record_from_api(summary)
        if rec is None:
            continue
        if str(rec.get("status") or "").upper() == "LEGACY" and not _has_dates(rec):
            # Older listings carry only the status; the details may have the dates.
            try:
                details = client.get_foundation_model(modelIdentifier=summary["modelId"])
                more = record_from_api(details.get("modelDetails") or {})
                if more is not None and _has_dates(more):
                    rec = {**rec, **{k: v for k, v in more.items() if v}}
            except Exception:
                detail_errors += 1
        key = rec["model_id"][:-2] if rec["model_id"].endswith(":0") else rec["model_id"]
        if key not in by_key or (_has_dates(rec) and not _has_dates(by_key[key])):
            by_key[key] = rec
    return sorted(by_key.values(), key=lambda r: str(r["model_id"])), detail_errors


def _counts(models: Sequence[Mapping[str, Any]]) -> tuple[int, int, int]:
    legacy = sum(1 for m in models if str(m.get("status") or "").upper() == "LEGACY")
    return len(models), legacy, sum(1 for m in models if _has_dates(m))


def sync(
    regions: Sequence[str],
    *,
    session: boto3.Session | None = None,
    client_factory: ClientFactory | None = None,
    cache_dir: Path | str | None = None,
    now: _dt.datetime | None = None,
    registry: Registry | None = None,
) -> SyncReport:
    """Refresh lifecycle data for ``regions`` from the control plane and write the disk cache.

    Never raises for API failures: a failed region keeps its previous data and is reported
    (and warned). ``registry``, when given, gets the new api entries in memory too.
    """
    at = now if now is not None else env_clock()()
    stamp = _iso(at)
    assert stamp is not None
    path = cache_file(cache_dir)
    factory = client_factory or _session_factory(session)
    # Network first, without the lock: a slow region must not hold up other syncs.
    fetched: dict[str, tuple[list[dict[str, Any]], int]] = {}
    failed: dict[str, str] = {}
    for region in dict.fromkeys(regions):
        try:
            fetched[region] = fetch_region(factory(region))
        except Exception as exc:
            failed[region] = describe_error(exc)

    written = False
    cache_error: str | None = None
    previous: dict[str, Any] | None = None
    blocks: dict[str, Any] = {}
    try:
        ensure_private_dir(path.parent)
        with FileLock(lock_file(path), timeout=LOCK_TIMEOUT, mode=FILE_MODE):
            # Read-merge-write under the lock: regions written by a concurrent sync since
            # we started are in ``previous`` and kept; only the regions read here change.
            previous = read_document(path)
            blocks = dict(previous["regions"]) if previous else {}
            for region, (models, _) in fetched.items():
                blocks[region] = {"synced_at": stamp, "models": models}
            if fetched:
                write_document(path, _document(blocks, stamp))
                written = True
    except Timeout:
        cache_error = f"another sync held {lock_file(path)} for more than {LOCK_TIMEOUT:.0f} s"
    except OSError as exc:
        cache_error = f"cannot write {path}: {exc.strerror or exc}"
    if cache_error is not None:
        for region, (models, _) in fetched.items():  # still usable in memory
            blocks[region] = {"synced_at": stamp, "models": models}
        log.warning(cache_error)
        warnings.warn(f"bedrock-lifecycle sync: {cache_error}", CacheWarning, stacklevel=2)
    if fetched:
        forget_cached(path.parent)

    results: list[RegionResult] = []
    for region in dict.fromkeys(regions):
        if region in fetched:
            models, detail_errors = fetched[region]
            n, legacy, dated = _counts(models)
            results.append(RegionResult(region, True, n, legacy, dated, None, False, stamp, detail_errors))
            continue
        old: dict[str, Any] | None = blocks.get(region)
        error = failed[region]
        what = f"keeping data synced {old['synced_at']}" if old is not None else "no earlier data for it"
        msg = f"bedrock-lifecycle sync: {region} failed ({error}); {what}"
        log.warning(msg)
        warnings.warn(msg, CacheWarning, stacklevel=2)
        n, legacy, dated = _counts(old["models"]) if old is not None else (0, 0, 0)
        results.append(RegionResult(
            region, False, n, legacy, dated, error, old is not None, old["synced_at"] if old is not None else None,
        ))
    doc = _document(blocks, stamp)
    entries = entries_from_document(doc)
    if registry is not None:
        registry.replace_api_entries(entries)
    return SyncReport(tuple(results), path, written, cache_error, entries)


__all__ = [
    "CACHE_FILENAME",
    "CACHE_SCHEMA",
    "CACHE_SCHEMA_VERSION",
    "ENV_CACHE_DIR",
    "CacheWarning",
    "RegionResult",
    "SyncReport",
    "cache_file",
    "cached_api_entries",
    "default_cache_root",
    "entry_from_record",
    "fetch_region",
    "forget_cached",
    "load_cache",
    "lock_file",
    "read_document",
    "record_from_api",
    "resolve_cache_dir",
    "sync",
    "write_document",
]
