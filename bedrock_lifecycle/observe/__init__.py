"""Observers of the call flow (layer L4): attempt events, built-in metrics, exporters, CloudWatch."""
