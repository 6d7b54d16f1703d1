"""pytest plugin: fixtures for the local Bedrock (being written)."""
