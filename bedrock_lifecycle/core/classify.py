"""Which failures move a call on: a small pure classification of errors.

``classify(code, message)`` says whether an error is worth retrying on the same target,
worth falling back to the next target, or the caller's own mistake (raise at once).
The sets are data; ``[routing] fallback_on`` / ``never_fallback_on`` adjust them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from botocore.exceptions import (
    ClientError,
    EventStreamError,
    HTTPClientError,
    ParamValidationError,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)


class Disposition(str, enum.Enum):
    RETRY = "retry"  # transient: retry this target, then fall back
    FALLBACK = "fallback"  # this target cannot serve: go to the next at once
    FATAL = "fatal"  # the request itself is wrong: no other model will do better


# Transient service conditions: retry (with backoff), then fall back.
RETRY_CODES = frozenset(
    {
        "ThrottlingException",
        "ModelNotReadyException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelTimeoutException",
        "ModelStreamErrorException",
        "TooManyRequestsException",
        "RequestTimeout",
        "ConnectionError",
        "ReadTimeout",
        # botocore's code when the error carries no type (a proxy's or load balancer's
        # HTML 5xx, a bare 429): the HTTP status. A throttle must not escape fallback
        # because nobody named it.
        "408",
        "429",
        "500",
        "502",
        "503",
        "504",
    }
)
# This target cannot serve the call, another may.
FALLBACK_CODES = frozenset({"AccessDeniedException", "ServiceQuotaExceededException"})
# Codes that are the caller's own mistake unless the message says the model is at fault.
_MODEL_AT_FAULT = re.compile(
    r"reached the end of its life"
    r"|marked by provider as Legacy"
    r"|on-demand throughput"
    r"|provided model identifier is invalid"
    r"|model identifier is invalid"
    r"|Model not found"
    r"|use case details have not been submitted"
    r"|don.t have access to the model",
    re.IGNORECASE,
)
_MESSAGE_CODES = frozenset({"ResourceNotFoundException", "ValidationException"})


@dataclass(frozen=True, slots=True)
class Classifier:
    retry_codes: frozenset[str] = RETRY_CODES
    fallback_codes: frozenset[str] = FALLBACK_CODES
    # Codes that fall back when the message says the model is at fault.
    message_codes: frozenset[str] = _MESSAGE_CODES

    @classmethod
    def configured(cls, fallback_on: Iterable[str] = (), never: Iterable[str] = ()) -> Classifier:
        extra, never_set = set(fallback_on), set(never)
        return cls(
            retry_codes=frozenset(RETRY_CODES - never_set),
            fallback_codes=frozenset((FALLBACK_CODES | extra) - never_set - RETRY_CODES),
            # "never" means never: a ValidationException listed there stays the caller's
            # error even when its message names the model.
            message_codes=frozenset(_MESSAGE_CODES - never_set),
        )

    def classify(self, code: str, message: str = "") -> Disposition:
        if code in self.retry_codes:
            return Disposition.RETRY
        if code in self.fallback_codes:
            return Disposition.FALLBACK
        if code in self.message_codes and _MODEL_AT_FAULT.search(message or ""):
            return Disposition.FALLBACK
        return Disposition.FATAL


def normalise_code(code: str) -> str:
    """``throttlingException`` (event-stream member name) -> ``ThrottlingException``."""
    return code[:1].upper() + code[1:] if code else code


def error_code(exc: BaseException) -> tuple[str, str]:
    """(code, message) for any exception a botocore call can raise."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "") or "")
        if isinstance(exc, EventStreamError):
            code = normalise_code(code)
        return code, str(err.get("Message", "") or "")
    if isinstance(exc, ReadTimeoutError):
        return "ReadTimeout", str(exc)
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return "ConnectionError", str(exc)
    if isinstance(exc, ParamValidationError):
        return "ParamValidationError", str(exc)
    return type(exc).__name__, str(exc)


DEFAULT_CLASSIFIER = Classifier()
