"""Request-body adapters, registered in code and named by configuration.

An adapter converts an InvokeModel body written for one model family into another's:
``fn(body, target_model_id) -> body``. The application registers it under a name::

    bedrock_lifecycle.register_adapter("claude_to_nova", claude_to_nova)

or an installed package declares it in the entry-point group ``bedrock_lifecycle.adapters``;
configuration refers to it by that name only (``body_adapter = "claude_to_nova"``).

Why names: a configuration document may come from a shared store (SSM, AppConfig) that
more people can write than can deploy code. A Python import path in such a document would
let whoever writes the parameter make every process import any module and call any
function with the request body. So an import path (``"package.module:function"``) is
refused from a remote source whatever else is set, and accepted from a local file,
environment or explicit arguments only with the opt-in ``routing.allow_import_path_adapters``
(see docs/security.md). Every adapter a version names is resolved when the version is
validated: a missing one is a :class:`~bedrock_lifecycle.errors.ConfigError` at client
creation or a rejected reload, never an error on the request path.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable
from importlib import metadata
from typing import Any, TypeVar, overload

from bedrock_lifecycle.errors import ConfigError

AdapterFn = Callable[[Any, str], Any]
F = TypeVar("F", bound=Callable[..., Any])

ENTRY_POINT_GROUP = "bedrock_lifecycle.adapters"
#: Sources whose content the deployment controls as it controls code. Any other kind
#: (``ssm``, ``appconfig``, and kinds added later) is remote: import paths are refused.
LOCAL_KINDS = frozenset({"file", "env", "explicit", "defaults"})

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,127}")
IMPORT_PATH_RE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")

_registry: dict[str, AdapterFn] = {}
_lock = threading.Lock()


def is_import_path(value: str) -> bool:
    """``package.module:function`` (the only import-path spelling accepted)."""
    return ":" in value


def check_syntax(value: str) -> str:
    """A registered name or a ``module:function`` path; raises ValueError otherwise."""
    if is_import_path(value):
        if not IMPORT_PATH_RE.fullmatch(value):
            raise ValueError(f"{value!r} is not an import path such as 'mypkg.adapters:claude_to_nova'")
    elif not NAME_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an adapter name (letters, digits, '_', '-', '.'; registered with "
            "bedrock_lifecycle.register_adapter)"
        )
    return value


@overload
def register_adapter(name: str, fn: F, *, replace: bool = False) -> F: ...
@overload
def register_adapter(name: str, fn: None = None, *, replace: bool = False) -> Callable[[F], F]: ...


def register_adapter(name: str, fn: Any = None, *, replace: bool = False) -> Any:
    """Register ``fn(body, target_model_id) -> body`` under ``name`` for ``body_adapter``.

    Usable as a decorator (``@register_adapter("claude_to_nova")``). Registering a
    different function under a taken name raises ``ValueError`` unless ``replace=True``;
    configuration versions already in force keep the function they resolved.
    """
    if fn is None:
        return lambda f: register_adapter(name, f, replace=replace)
    if not isinstance(name, str) or is_import_path(name) or not NAME_RE.fullmatch(name):
        raise ValueError(
            f"adapter name {name!r}: letters, digits, '_', '-' or '.', starting with a letter or '_' "
            "(no ':', which marks an import path)"
        )
    if not callable(fn):
        raise TypeError(f"adapter {name!r}: expected a callable fn(body, target_model_id), got {type(fn).__name__}")
    with _lock:
        old = _registry.get(name)
        if old is not None and old is not fn and not replace and _qualname(old) != _qualname(fn):
            raise ValueError(
                f"adapter {name!r} is already registered to {_qualname(old)}; pass replace=True to change it"
            )
        _registry[name] = fn
    return fn


def unregister_adapter(name: str) -> None:
    """Forget a registered name (tests; plugins being unloaded)."""
    with _lock:
        _registry.pop(name, None)


def registered() -> dict[str, AdapterFn]:
    """A copy of the names registered in code (entry points are looked up on demand)."""
    with _lock:
        return dict(_registry)


def resolve_adapter(name: str, *, source_kind: str, allow_import_paths: bool) -> AdapterFn:
    """The function ``name`` stands for, as configuration from ``source_kind`` may name it.

    Names are looked up in the registry, then in the ``bedrock_lifecycle.adapters``
    entry-point group (installed packages). An import path is imported only from a
    local source kind with ``allow_import_paths``. Raises ConfigError saying why not.
    """
    check_syntax_or_config_error(name)
    if is_import_path(name):
        if source_kind not in LOCAL_KINDS:
            raise ConfigError(
                f"import path {name!r} refused: {_kind_words(source_kind)} may name adapters only by "
                "registered name (whoever can write it could otherwise run any code in every process). "
                "Register the function with bedrock_lifecycle.register_adapter(NAME, fn) and use NAME"
            )
        if not allow_import_paths:
            raise ConfigError(
                f"import path {name!r} refused: import paths need the opt-in "
                "routing.allow_import_path_adapters = true (or BEDROCK_LIFECYCLE_ALLOW_IMPORT_PATH_ADAPTERS=true); "
                "prefer bedrock_lifecycle.register_adapter(NAME, fn) and body_adapter = NAME"
            )
        return _import(name)
    with _lock:
        fn = _registry.get(name)
    if fn is not None:
        return fn
    fn = _from_entry_points(name)
    if fn is not None:
        return fn
    known = sorted(registered())
    hint = ""
    if "." in name:
        module, _, attr = name.rpartition(".")
        hint = f" (an import path is written {module + ':' + attr!r} and needs an opt-in: see docs/security.md)"
    raise ConfigError(
        f"no adapter named {name!r} (registered: {', '.join(known) or 'none'}){hint}; register it with "
        f"bedrock_lifecycle.register_adapter({name!r}, fn) before the client is created, or install a "
        f"package that declares it in the entry-point group {ENTRY_POINT_GROUP!r}"
    )


def check_syntax_or_config_error(name: str) -> None:
    try:
        check_syntax(name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _from_entry_points(name: str) -> AdapterFn | None:
    try:
        found = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    except Exception:  # a broken distribution's metadata must not hide the real error
        return None
    if not found:
        return None
    ep = found[0]
    try:
        fn = ep.load()
    except Exception as exc:
        raise ConfigError(
            f"adapter {name!r} (entry point {ep.value!r} in {ENTRY_POINT_GROUP!r}) cannot be loaded: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if not callable(fn):
        raise ConfigError(f"adapter {name!r} (entry point {ep.value!r}) is not callable")
    with _lock:
        _registry.setdefault(name, fn)
        return _registry[name]


def _import(path: str) -> AdapterFn:
    module_name, _, attr = path.partition(":")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except Exception as exc:
        raise ConfigError(f"cannot import adapter {path!r}: {type(exc).__name__}: {exc}") from None
    if not callable(fn):
        raise ConfigError(f"adapter {path!r} is a {type(fn).__name__}, not a function")
    return fn  # type: ignore[no-any-return]


def _kind_words(kind: str) -> str:
    return {"ssm": "an SSM parameter", "appconfig": "an AppConfig configuration"}.get(kind, f"a remote source ({kind})")


def _qualname(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


__all__ = [
    "ENTRY_POINT_GROUP",
    "LOCAL_KINDS",
    "AdapterFn",
    "check_syntax",
    "is_import_path",
    "register_adapter",
    "registered",
    "resolve_adapter",
    "unregister_adapter",
]
