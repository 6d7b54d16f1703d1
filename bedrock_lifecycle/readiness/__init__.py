"""Readiness before moving traffic: ``preflight``, ``diff`` and AWS Health ``notices``.

Layer L4 (docs/readiness.md): reads configuration (L2), the lifecycle registry (L1) and AWS
APIs through boto3; never imports the request path's observers (``observe``), ``migrate`` or
``toolkit``. Metrics snapshots are read through :mod:`bedrock_lifecycle.readiness.load`,
which knows the snapshot file format on its own.
"""

from __future__ import annotations

from bedrock_lifecycle.readiness.model import Check, Status

__all__ = ["Check", "Status"]
