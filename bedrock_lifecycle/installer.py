"""Session-level install: every ``bedrock-runtime`` client a session creates is a lifecycle client.

Frameworks that build their own client (Strands ``BedrockModel(boto_session=...)``,
LlamaIndex ``BedrockConverse(botocore_session=...)``) cannot be handed one; installing on
the session they use reaches them without user code in between::

    import boto3, bedrock_lifecycle
    session = boto3.Session(region_name="us-east-1")
    bedrock_lifecycle.install(session)          # or install() for boto3's default session
    session.client("bedrock-runtime")           # what bedrock_lifecycle.wrap() would return

The hook is botocore's ``creating-client-class.bedrock-runtime`` event: a small base class
goes in front of the client class, and its ``__init__`` hands the new client to the public
:func:`bedrock_lifecycle.wrap`, so an installed client is exactly what ``wrap`` makes. The same
event fires for aiobotocore's ``AioSession`` (its emitter awaits only what a handler returns),
so async sessions are covered by the same code.

(The module is ``installer``, not ``install``: a submodule named like the function would
replace ``bedrock_lifecycle.install`` with the module as soon as it is imported.)
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from typing import Any

_EVENT = "creating-client-class.bedrock-runtime"
_UNIQUE_ID = "bedrock-lifecycle-install"
_lock = threading.Lock()
# emitter -> the handler in place; weak so an installed session can still be collected
_installed: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _emitter(session: Any) -> Any:
    """The event emitter of a boto3 Session (``.events``) or a botocore/aiobotocore Session."""
    events = getattr(session, "events", None)  # boto3.Session and aioboto3.Session
    if events is not None and hasattr(events, "register"):
        return events
    get_component = getattr(session, "get_component", None)  # botocore.session.Session
    if callable(get_component):
        return get_component("event_emitter")
    raise TypeError(
        "install() takes a boto3 Session or a botocore/aiobotocore Session, "
        f"got {type(session).__name__}"
    )


def _default_session() -> Any:
    import boto3

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return boto3.DEFAULT_SESSION


def _handler(options: Mapping[str, Any]) -> Any:
    class BedrockLifecycleInstalled:
        """Sits in front of BaseClient in the new client class's bases (plain: no botocore base)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            from bedrock_lifecycle import wrap

            wrap(self, **options)

    def on_creating_client_class(base_classes: list[type], **_: Any) -> None:
        if BedrockLifecycleInstalled not in base_classes:
            base_classes.insert(0, BedrockLifecycleInstalled)

    return on_creating_client_class


def install(
    session: Any = None,
    *,
    config: Any = None,
    registry: Any = None,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """Make every ``bedrock-runtime`` client ``session`` creates from now on a lifecycle client.

    ``session`` is a ``boto3.Session``, a ``botocore.session.Session`` or an aiobotocore
    ``AioSession``; by default boto3's default session (the one ``boto3.client()`` uses).
    ``config``, ``registry`` and ``environ`` are passed to :func:`bedrock_lifecycle.wrap` for
    each client. Installing again replaces the options (never stacks); clients created
    earlier are left as they are. Returns the session.
    """
    session = _default_session() if session is None else session
    events = _emitter(session)
    options = {"config": config, "registry": registry, "environ": environ}
    with _lock:
        # unregister first so a second install replaces the options instead of being ignored
        events.unregister(_EVENT, unique_id=_UNIQUE_ID)
        handler = _handler(options)
        events.register(_EVENT, handler, unique_id=_UNIQUE_ID)
        _installed[events] = handler
    return session


def uninstall(session: Any = None) -> bool:
    """Undo :func:`install`: clients ``session`` creates from now on are plain botocore clients.

    Returns whether an install was in place. Clients created while installed stay lifecycle
    clients (they may be in use).
    """
    session = _current_default() if session is None else session
    if session is None:
        return False
    events = _emitter(session)
    with _lock:
        events.unregister(_EVENT, unique_id=_UNIQUE_ID)
        return _installed.pop(events, None) is not None


def is_installed(session: Any = None) -> bool:
    """Whether ``session`` (default: boto3's default session) has the install in place."""
    session = _current_default() if session is None else session
    return session is not None and _emitter(session) in _installed


def _current_default() -> Any:
    import boto3

    return boto3.DEFAULT_SESSION
