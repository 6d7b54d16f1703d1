"""bedrock-lifecycle: a drop-in bedrock-runtime client that knows Bedrock model lifecycles."""

from __future__ import annotations

__version__ = "0.1.0"
