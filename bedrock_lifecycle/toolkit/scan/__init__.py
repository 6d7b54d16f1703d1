"""Find hard-coded Bedrock model IDs, inference-profile IDs and ARNs in a source tree.

This is the assessment phase of a migration: *where* does the code name a model? It reads
source, configuration and infrastructure files of any kind (the match does not depend on
the language) and notebooks (cell by cell), and reports each identifier as written, with
its 1-based line and column (columns count characters, not bytes).

- :mod:`~bedrock_lifecycle.toolkit.scan.match`: what counts as a model ID (the rules).
- :mod:`~bedrock_lifecycle.toolkit.scan.files`: what is walked, read, skipped, and reported
  as not read.
- :mod:`~bedrock_lifecycle.toolkit.scan.notebook`: ``.ipynb`` files.
- :mod:`~bedrock_lifecycle.toolkit.scan.report`: lifecycle per finding, the per-model
  roll-up, SARIF and GitHub annotations.

Speed: ``bench/bench_scan.py`` measures it against ``grep -rIEn``. Parallel processes were
measured and left out: on 2 cores they saved about a quarter of the time after start-up,
less than their cost on small trees.
"""

from __future__ import annotations

from bedrock_lifecycle.toolkit.scan.files import (
    BINARY_EXTENSIONS,
    BINARY_SNIFF_BYTES,
    MAX_FILE_BYTES,
    SKIP_DIRS,
    FileScan,
    Finding,
    iter_files,
    read_text_bytes,
    scan_file,
    scan_files,
    scan_one,
    scan_paths,
)
from bedrock_lifecycle.toolkit.scan.match import ARN_KINDS_REPORTED, scan_bytes, scan_text

__all__ = [
    "ARN_KINDS_REPORTED",
    "BINARY_EXTENSIONS",
    "BINARY_SNIFF_BYTES",
    "MAX_FILE_BYTES",
    "SKIP_DIRS",
    "FileScan",
    "Finding",
    "iter_files",
    "read_text_bytes",
    "scan_bytes",
    "scan_file",
    "scan_files",
    "scan_one",
    "scan_paths",
    "scan_text",
]
