"""Small shared helpers with no dependencies inside the package (layer L0)."""
