"""Warnings and exceptions the library raises.

Refusals subclass botocore's ``ClientError`` with the code AWS itself would answer, so
``except ClientError`` and ``e.response["Error"]["Code"]`` checks keep working. When
raised through a client, the exception is also an instance of that client's modelled
class (``client.exceptions.ResourceNotFoundException``): see :func:`bind_to_client`.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import threading
from typing import Any

import botocore
from botocore.exceptions import ClientError

from bedrock_lifecycle.lifecycle.model import LifecycleStatus, State


class ConfigError(ValueError):
    """Invalid configuration. The message names the source (file and key path, or
    environment variable), the bad value and what is allowed.

    ``details`` holds pydantic's error records (``loc``, ``msg``, ``type``, ``input``) when
    the error came from schema validation, for programs that want the parts."""

    def __init__(self, message: str = "", *, details: Any = ()) -> None:
        super().__init__(message)
        self.details: tuple[dict[str, Any], ...] = tuple(details)


# --------------------------------------------------------------------------- warnings


class ModelLifecycleWarning(UserWarning):
    """A model in use is Legacy, in extended access, or close to its EOL date."""

    status: LifecycleStatus | None = None


class ModelLegacyWarning(ModelLifecycleWarning):
    pass


class ModelExtendedAccessWarning(ModelLifecycleWarning):
    pass


class ModelApproachingEOLWarning(ModelLifecycleWarning):
    pass


class CanaryRollbackWarning(ModelLifecycleWarning):
    """Canary analysis pulled a canary's weight back to zero."""


_INTERNAL = (os.path.dirname(__file__), os.path.dirname(botocore.__file__))


def caller_stacklevel() -> int:
    """``stacklevel`` for a ``warnings.warn`` made by the function calling this one, so the
    warning points at the application line that made the call, not at this package or botocore."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


# ------------------------------------------------------------------------- exceptions


def _error_response(code: str, message: str, http_status: int) -> dict[str, Any]:
    return {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": http_status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }


class ModelLifecycleError(ClientError):
    """Refused before any network call because of the model's lifecycle state."""

    code = "ResourceNotFoundException"
    http_status = 404

    def __init__(self, message: str, operation_name: str, status: LifecycleStatus | None = None):
        super().__init__(_error_response(self.code, message, self.http_status), operation_name)
        self.status = status
        self.attempts: list[dict[str, Any]] = []

    def __reduce__(self) -> Any:  # picklable across processes despite the extra arguments
        return (self.__class__, (self.response["Error"]["Message"], self.operation_name, self.status))


class ModelEndOfLifeError(ModelLifecycleError):
    """The model is past its End-of-Life date in this region."""


class ModelLegacyError(ModelLifecycleError):
    """The model is Legacy and the policy says ``on_legacy = "error"``."""


class ModelExtendedAccessError(ModelLifecycleError):
    """The model is in public extended access and ``on_extended_access = "error"``."""


class UnknownModelError(ClientError):
    """The ``modelId`` is neither a configured alias nor anything Bedrock could accept."""

    code = "ValidationException"

    def __init__(self, message: str, operation_name: str, model_id: str = ""):
        super().__init__(_error_response(self.code, message, 400), operation_name)
        self.model_id = model_id
        self.attempts: list[dict[str, Any]] = []

    def __reduce__(self) -> Any:
        return (self.__class__, (self.response["Error"]["Message"], self.operation_name, self.model_id))


REFUSAL_FOR_STATE: dict[State, type[ModelLifecycleError]] = {
    State.EOL: ModelEndOfLifeError,
    State.LEGACY: ModelLegacyError,
    State.EXTENDED_ACCESS: ModelExtendedAccessError,
}

_bound: dict[tuple[type, type], type] = {}
_bound_lock = threading.Lock()


def bind_to_client(exc_class: type[ClientError], client: Any) -> type[ClientError]:
    """A subclass of ``exc_class`` that is also ``client.exceptions.<Code>``.

    Callers written against a plain client catch ``client.exceptions.X``; an error we
    raise must be an instance of that per-client class too.
    """
    code = getattr(exc_class, "code", None)
    modelled = getattr(getattr(client, "exceptions", None), str(code), None)
    if not isinstance(modelled, type) or issubclass(exc_class, modelled):
        return exc_class
    key = (exc_class, modelled)
    cls = _bound.get(key)
    if cls is None:
        with _bound_lock:
            cls = _bound.setdefault(
                key,
                type(exc_class.__name__, (exc_class, modelled), {"__module__": exc_class.__module__}),
            )
    return cls


def error_of(exc: BaseException) -> tuple[str, str]:
    """(code, message) of a botocore ``ClientError``; (class name, text) for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        err = response.get("Error") or {}
        if err.get("Code"):
            return str(err["Code"]), str(err.get("Message") or "")
    return type(exc).__name__, str(exc)


def describe_error(exc: BaseException) -> str:
    """One line for a failed AWS call or other error: ``Code: message`` (never a traceback,
    never request content). The one spelling every module uses."""
    code, message = error_of(exc)
    return f"{code}: {message}" if message else code


def describe(status: LifecycleStatus) -> str:
    """One human sentence: model, region, state, dates, days left, replacement. On the EOL
    day itself (UTC) it says the model "reaches end of life today", before or after the hour."""
    from bedrock_lifecycle.lifecycle.eol import eol_phrase

    where = status.region or "every region"
    eol_today = status.eol_date is not None and status.eol_date.date() == status.at.date()
    if eol_today:
        assert status.eol_date is not None
        parts = [f"{status.model_id} {eol_phrase(status.eol_date, status.at)} in {where}"]
    else:
        parts = [f"{status.model_id} is {_STATE_WORDS[status.state]} in {where}"]
    dates = []
    if status.legacy_date:
        dates.append(f"Legacy since {_d(status.legacy_date)}" if status.at >= status.legacy_date else f"Legacy from {_d(status.legacy_date)}")
    if status.extended_access_date:
        word = "since" if status.at >= status.extended_access_date else "from"
        dates.append(f"extended access (prices may rise) {word} {_d(status.extended_access_date)}")
    period = status.legacy_period_days
    short = period is not None and period <= 90 and status.state is State.LEGACY
    if status.eol_date and not eol_today:
        days = (status.eol_date.date() - status.at.date()).days  # calendar days, as the dates are
        if days > 0:
            left = f"{days} day{'' if days == 1 else 's'} left"
            eol = f"end of life on {_d(status.eol_date)}, {left}"
            dates.append(f"this model has a {period}-day Legacy period: {eol}" if short else f"end of life on {_d(status.eol_date)} ({left})")
        else:
            dates.append(f"end of life since {_d(status.eol_date)}")
    elif short and not eol_today:
        dates.append(f"this model has a {period}-day Legacy period: end of life can come {period} days after Legacy starts")
    if dates:
        parts.append("; ".join(dates))
    ea = status.extended_access_date
    if ea is not None and status.state in (State.LEGACY, State.EXTENDED_ACCESS):
        parts.append(f"On-demand prices may change from {_d(ea)} (public extended access); provisioned "
                     "throughput and private pricing keep their terms")
    if status.reported and status.entry is not None:
        ev = status.evidence_date
        parts.append(
            "These dates are reported, not confirmed by AWS"
            + (f" (evidence from {ev.isoformat()})" if ev else "")
            + f": {status.entry.provenance[:200]}"
        )
    if status.replacements:
        parts.append("Use " + " or ".join(status.replacements) + " instead")
    elif status.suggested_replacements:
        parts.append(
            "AWS names no replacement; the same family's newer model is "
            + " or ".join(status.suggested_replacements)
            + " (suggested by bedrock-lifecycle)"
        )
    return ". ".join(parts) + "."


_STATE_WORDS = {
    State.ACTIVE: "active",
    State.LEGACY: "Legacy",
    State.EXTENDED_ACCESS: "in public extended access",
    State.EOL: "past its end-of-life date",
    State.UNKNOWN: "of unknown lifecycle",
}


def _d(value: _dt.datetime) -> str:
    return value.date().isoformat()
