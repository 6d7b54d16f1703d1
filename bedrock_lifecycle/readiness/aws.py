"""boto3 clients for the readiness checks, and reading their errors."""

from __future__ import annotations

import threading
from typing import Any, Final

from bedrock_lifecycle.errors import error_of
from bedrock_lifecycle.util.aws import aws_client

_DENIED: Final = frozenset(
    {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnrecognizedClientException"}
)


class Clients:
    """One boto3 session; clients made once per (service, region). The normal boto3 chain
    applies: credentials, profiles, ``AWS_ENDPOINT_URL_<SERVICE>``."""

    def __init__(self, session: Any = None) -> None:
        self._session = session
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str, region: str) -> Any:
        with self._lock:
            client = self._clients.get((service, region))
            if client is None:
                if self._session is None:
                    import boto3

                    self._session = boto3.Session()
                client = aws_client(service, region=region, session=self._session, purpose="readiness")
                self._clients[(service, region)] = client
            return client




def is_denied(exc: BaseException) -> bool:
    return error_of(exc)[0] in _DENIED


