"""Migration tooling that runs outside the request path: compare, report, scan (layer L4)."""
