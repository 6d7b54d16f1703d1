"""Find hard-coded Bedrock model IDs, inference-profile IDs and ARNs in a source tree.

The "assessment" step of a migration. Precision first: a hit must start with a known
provider (optionally behind a geography prefix) or be a Bedrock ARN, must look like a model
name (a digit or a hyphen in it: ``anthropic.com``, ``meta.json``, ``cohere.ai`` do not), must
not sit inside a longer dotted name, path or e-mail address, and must parse with
:func:`bedrock_lifecycle.ids.parse_model_id`.

Speed: files are read as bytes; one cheap search for ``<provider>.`` or ``arn:aws`` skips
most files before the full pattern runs; line numbers are computed only for files with hits.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bedrock_lifecycle.ids import KNOWN_GEOGRAPHIES, KNOWN_PROVIDERS, ModelIdError, parse_model_id

MAX_FILE_BYTES = 5 * 1024 * 1024  # larger files are data or bundles, not configuration

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "node_modules", "bower_components", "site-packages", "dist-packages",
    "vendor", "third_party", "__pycache__", ".tox", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    ".hypothesis", ".venv", "venv", ".terraform", ".serverless", ".aws-sam", "cdk.out", ".next", ".nuxt",
    "dist", "build", ".gradle", ".idea", ".eggs",
})
BINARY_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".pdf", ".zip", ".gz", ".tgz", ".bz2", ".xz",
    ".7z", ".tar", ".whl", ".egg", ".jar", ".war", ".class", ".so", ".dylib", ".dll", ".exe", ".o", ".a",
    ".pyc", ".pyo", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".mov", ".avi", ".wav",
    ".parquet", ".sqlite", ".db", ".bin", ".pkl", ".npy", ".npz", ".onnx", ".pt", ".safetensors",
})

_PROVIDERS = "|".join(sorted(KNOWN_PROVIDERS, key=len, reverse=True))
# Only the geographies AWS uses: in code, "x.anthropic.claude-v2" is more likely an attribute.
_GEOS = "|".join(sorted((re.escape(g) for g in KNOWN_GEOGRAPHIES), key=len, reverse=True))
# Substring tests run in C and beat a regex alternation by an order of magnitude.
_NEEDLES = (*tuple(f"{p}.".encode() for p in sorted(KNOWN_PROVIDERS)), b"arn:aws")
# A model-ish ID: optional geography, a known provider, a name with a digit or hyphen,
# optional ":version" and ":context". Or a Bedrock ARN.
_ID = (
    rf"(?:(?:{_GEOS})\.)?(?:{_PROVIDERS})\.[a-z0-9][a-z0-9.-]*[a-z0-9]"
    r"(?::[a-z0-9-]{1,63}){0,2}"
)
_ARN = r"arn:aws[a-z-]*:(?:bedrock|sagemaker):[a-z0-9-]{0,20}:[0-9]{0,12}:[a-z-]+/[A-Za-z0-9.:/_-]+"
_PATTERN = re.compile(
    rf"(?<![A-Za-z0-9_./@\\-])(?P<id>{_ARN}|{_ID})(?![A-Za-z0-9_@\\-]|\.[A-Za-z0-9])".encode()
)


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int  # 1-based
    column: int  # 1-based, in characters
    model_id: str  # as written


def _looks_like_model(text: str) -> bool:
    """``anthropic.com``, ``meta.json``, ``amazon.aws.ec2`` are not models: a model name
    has a digit or a hyphen (``claude-3``, ``nova-lite-v1``, ``v3.1``)."""
    if text.startswith("arn:"):
        return True
    try:
        base = parse_model_id(text).base_model_id
    except ModelIdError:
        return False
    first = (base or "").partition(".")[2].partition(".")[0].partition(":")[0]
    return any(c.isdigit() or c == "-" for c in first)


def scan_bytes(data: bytes) -> list[tuple[int, int, str]]:
    """(line, column, id) for every model ID in ``data``."""
    if not any(n in data for n in _NEEDLES):
        return []
    out: list[tuple[int, int, str]] = []
    line = 1
    pos = 0  # offset of the start of ``line``
    for m in _PATTERN.finditer(data):
        raw = m.group("id")
        text = raw.decode("ascii", "replace")
        if not _looks_like_model(text):
            continue
        if text.startswith("arn:"):
            try:
                parse_model_id(text)
            except ModelIdError:
                continue
        start = m.start("id")
        line += data.count(b"\n", pos, start)
        pos = data.rfind(b"\n", 0, start) + 1
        column = len(data[pos:start].decode("utf-8", "replace")) + 1
        out.append((line, column, text))
    return out


def scan_text(text: str) -> list[tuple[int, int, str]]:
    return scan_bytes(text.encode("utf-8"))


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def iter_files(paths: Sequence[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files under ``paths`` worth reading, in a stable order; missing paths raise."""
    for root in paths:
        p = Path(root)
        if not p.exists():
            raise FileNotFoundError(str(p))
        if p.is_file():
            yield p
            continue
        for dirpath, dirnames, filenames in os.walk(p):
            dirnames[:] = sorted(
                d for d in dirnames
                if d not in SKIP_DIRS and not d.endswith(".egg-info") and not _is_venv(Path(dirpath, d))
            )
            for name in sorted(filenames):
                if os.path.splitext(name)[1].lower() not in BINARY_SUFFIXES:
                    yield Path(dirpath, name)


def scan_file(path: Path) -> list[Finding]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return []
        data = path.read_bytes()
    except OSError:
        return []  # unreadable (permissions, a socket, vanished): nothing to report
    if b"\0" in data[:8192]:
        return []  # binary
    return [Finding(str(path), ln, col, mid) for ln, col, mid in scan_bytes(data)]


def scan_paths(paths: Sequence[str | os.PathLike[str]]) -> Iterator[Finding]:
    for f in iter_files(paths):
        yield from scan_file(f)
