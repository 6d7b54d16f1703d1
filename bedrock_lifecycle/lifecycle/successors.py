"""Suggested successors where AWS's published tables name no replacement.

The S2/S3 copies of the AWS model-lifecycle page list dates but no recommended
replacement for many recent retirements (Claude 3 Haiku, Claude Sonnet 4 and 4.5, ...). A
warning that only says "Legacy" leaves the team to research the answer, so for a few clear
cases we suggest the newer model of the same family that the catalogue lists. These are
this project's suggestions, not AWS's: they are reported separately
(``suggested_replacements``, and "suggested:" in warning texts), never mixed into
``replacements``. Keep the list short and obvious; see docs/registry.md.
"""

from __future__ import annotations

SUCCESSORS: dict[str, tuple[str, ...]] = {
    # Same family, newer generation (all in the models-supported catalogue).
    "anthropic.claude-3-haiku-20240307-v1:0": ("anthropic.claude-haiku-4-5-20251001-v1:0",),
    "anthropic.claude-3-5-haiku-20241022-v1:0": ("anthropic.claude-haiku-4-5-20251001-v1:0",),
    "anthropic.claude-sonnet-4-20250514-v1:0": ("anthropic.claude-sonnet-4-6",),
    "anthropic.claude-sonnet-4-5-20250929-v1:0": ("anthropic.claude-sonnet-4-6",),
    "anthropic.claude-opus-4-1-20250805-v1:0": ("anthropic.claude-opus-4-6-v1",),
    "amazon.nova-sonic-v1:0": ("amazon.nova-2-sonic-v1:0",),
    "twelvelabs.marengo-embed-2-7-v1:0": ("twelvelabs.marengo-embed-3-0-v1:0",),
}


def suggested(base_model_id: str | None) -> tuple[str, ...]:
    return SUCCESSORS.get(base_model_id or "", ())
