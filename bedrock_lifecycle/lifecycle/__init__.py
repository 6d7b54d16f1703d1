"""Lifecycle data: types, bundled data, the registry and API sync."""

from bedrock_lifecycle.lifecycle.model import LifecycleEntry, LifecycleStatus, State

__all__ = ["LifecycleEntry", "LifecycleStatus", "State"]
