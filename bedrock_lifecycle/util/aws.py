"""The one builder of the AWS clients the library makes for itself (SSM, AppConfig Data,
CloudWatch, the Bedrock control plane, Service Quotas, Health, Price List).

The normal boto3 chain (credentials, profiles, ``AWS_ENDPOINT_URL_<SERVICE>``), a session
when the caller gives one, short timeouts (these calls are never the caller's request),
standard retries, and a user-agent suffix saying what the call is for.
"""

from __future__ import annotations

from typing import Any


def aws_client(service: str, *, region: str | None = None, session: Any = None, connect_timeout: float = 5,
               read_timeout: float = 30, attempts: int = 3, purpose: str = "") -> Any:
    import boto3
    from botocore.config import Config

    sess = session if session is not None else boto3.session.Session()
    cfg = Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                 retries={"mode": "standard", "total_max_attempts": attempts},
                 user_agent_extra=f"bedrock-lifecycle-{purpose}" if purpose else None)
    return sess.client(service, region_name=region, config=cfg)
