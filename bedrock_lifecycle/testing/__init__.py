"""Local Bedrock for tests (being written)."""
