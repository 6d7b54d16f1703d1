"""Find hard-coded Bedrock model IDs, inference-profile IDs and ARNs in a source tree.

This is the assessment phase of a migration: *where* does the code name a model? It reads
source, configuration and infrastructure files of any kind (the match does not depend on
the language) and reports each identifier as written, with its 1-based line and column
(columns count characters, not bytes).

What counts as a model ID (the false-positive strategy):

- **Anchored on known providers.** A candidate is ``<provider>.<name>`` where ``provider``
  is one of :data:`bedrock_lifecycle.ids.KNOWN_PROVIDERS`, optionally preceded by a
  geography (``us.``, ``eu.``, ``apac.``, ``global.``, ``us-gov.`` … or a future 2-6 letter
  one, but not a word that is a receiver in code: ``self.``, ``this.``, ``config.`` …), or
  a Bedrock ARN (``arn:aws…:bedrock:…:<model kind>/…``).
- **Token boundaries.** The candidate must not continue a longer token: nothing from
  ``[A-Za-z0-9_.@$-]`` before it (so ``docs.aws.amazon.com``, ``com.amazon.awssdk`` and
  ``user@anthropic.com`` are out) and nothing from ``[A-Za-z0-9_@$-]``, nor a ``.`` or
  ``:`` followed by a word character, after it (so ``meta.json``, ``amazon.aws.s3_bucket``,
  ``anthropic.claude-v2.json`` are out). A ``/`` or ``:`` before and a ``/`` after are
  fine: ``bedrock/anthropic.claude-…``, ``…::foundation-model/anthropic.claude-…``,
  ``…/model/anthropic.claude-…/invoke``. A placeholder geography (``{geo}.anthropic…``,
  ``${var.geo}.anthropic…``) reports the model ID after it.
- **Model-shaped names.** Dot-separated parts after the first must start with a digit
  (``gpt-5.4``, ``v3.1``; not ``aws.something``). The name must have a hyphen, or be
  ``v<digits>.<digits>`` (``deepseek.v3.1``): that rejects ``anthropic.com``, ``cohere.ai``,
  ``stability.config``, ``amazon.png``, ``amazon.mp4`` and ``amazon.com:443`` (a version
  alone proves nothing). Two hyphens, a version, or a version-like part (``-v2``,
  ``llama3``, ``12b``, ``4.7``) make it a model. What is left is *weak*: ``word-N``
  (``zai.glm-5``) reads exactly like arithmetic in code (``meta.length-1``), and
  ``word-word`` or ``vN`` like an attribute or an API path; weak names are reported only
  when the bundled lifecycle data knows the model.
- **Validated.** Every candidate must parse with :func:`bedrock_lifecycle.ids.parse_model_id`.
  ARNs of Bedrock resources that are not models (knowledge bases, agents, guardrails…) and
  SageMaker endpoint ARNs are not reported.

What is skipped while walking a directory (a path named explicitly is always visited;
the content checks still apply to it): VCS directories, virtual environments (by name, or any directory holding a
``pyvenv.cfg``), dependency, cache and build-output directories (:data:`SKIP_DIRS`,
``*.egg-info``), symbolic links, files with a known binary extension
(:data:`BINARY_EXTENSIONS`), files with a NUL byte in their first 8 KiB (binary, or
UTF-16 text), and files larger than :data:`MAX_FILE_BYTES` (10 MiB: generated bundles and
data dumps, not code anyone edits).

Speed: files are read as bytes in one ``read``. One pass of a regex that starts with a
literal ``.``, then checks for a hyphen ahead and the provider behind (1-1.4 GB/s), finds
every ``<provider>.<hyphenated name>``, and ``bytes.find`` every ``arn:aws``; only those
few positions get Python-level work. ``bench/bench_scan.py`` measures it against
``grep -rIE`` (about 1.2 times grep's time on 10,000 files). Parallel processes were
measured and left out: on 2 cores they saved about a quarter of the time after start-up,
less than their cost on small trees.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bedrock_lifecycle.ids import KNOWN_GEOGRAPHIES, KNOWN_PROVIDERS, ModelIdError, parse_model_id

MAX_FILE_BYTES = 10 * 1024 * 1024
BINARY_SNIFF_BYTES = 8192

SKIP_DIRS: frozenset[str] = frozenset(
    {
        # version control
        ".git", ".hg", ".svn", ".bzr", "CVS",
        # virtual environments (also: any directory holding pyvenv.cfg)
        ".venv", "venv", ".virtualenv",
        # installed dependencies
        "node_modules", "bower_components", "jspm_packages", "site-packages", "dist-packages",
        "vendor", ".eggs", ".bundle",
        # caches and tool state
        "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
        ".hypothesis", ".cache", ".gradle", ".terraform", ".terragrunt-cache",
        # build output (generated from the sources, which are scanned)
        "dist", "build", "cdk.out", ".aws-sam", ".serverless", ".next", ".nuxt", "htmlcov",
    }
)

BINARY_EXTENSIONS: frozenset[str] = frozenset(
    {
        # images, audio, video, fonts
        ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".icns", ".webp", ".tif", ".tiff",
        ".psd", ".heic", ".avif", ".mp3", ".mp4", ".m4a", ".mov", ".avi", ".mkv", ".webm",
        ".wav", ".flac", ".ogg", ".woff", ".woff2", ".ttf", ".otf", ".eot",
        # archives and packages
        ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar", ".jar", ".war",
        ".ear", ".whl", ".egg", ".deb", ".rpm", ".dmg", ".iso", ".apk", ".nupkg",
        # compiled code and objects
        ".pyc", ".pyo", ".pyd", ".so", ".dylib", ".dll", ".exe", ".o", ".a", ".lib", ".obj",
        ".class", ".wasm", ".beam",
        # documents and data
        ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".sqlite",
        ".sqlite3", ".db", ".parquet", ".avro", ".orc", ".feather", ".arrow", ".pkl",
        ".pickle", ".npy", ".npz", ".h5", ".hdf5", ".pt", ".pth", ".onnx", ".safetensors",
        ".ckpt", ".tflite", ".bin",
    }
)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int  # 1-based
    column: int  # 1-based, in characters
    model_id: str  # as written


# --------------------------------------------------------------------------- matching

_PROVIDERS_B = frozenset(p.encode() for p in KNOWN_PROVIDERS)
_PROVIDER_LENGTHS = sorted({len(p) for p in _PROVIDERS_B}, reverse=True)  # longest first


def _anchor_pattern() -> re.Pattern[bytes]:
    # One look-behind per provider length (look-behinds must be fixed-width). The pattern
    # starts with a literal ".", so the regex engine skips quickly to the next dot.
    by_len: dict[int, list[str]] = {}
    for p in sorted(KNOWN_PROVIDERS):
        by_len.setdefault(len(p), []).append(re.escape(p))
    behinds = "|".join(f"(?<=(?:{'|'.join(v)})\\.)" for _, v in sorted(by_len.items()))
    # Before them, a cheap look-ahead for the model shape (a "-" in the first part of the
    # name, or "v<digit>"): most dots fail it at once ("meta.json", "writer.write(",
    # "google.protobuf"), about three times faster than testing the look-behinds first. It
    # stops at the next dot, so a long dotted run costs linear time.
    return re.compile(f"\\.(?=[a-z0-9]*-|v[0-9])(?:{behinds})".encode())


_ANCHOR = _anchor_pattern()

# What may not touch an identifier. Before: a word character, ".", "@", "$" or "-" would make
# it part of a longer token (a domain, a dotted module path, an e-mail address).
_BEFORE_FORBIDDEN = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@$-")
_END = rb"(?![A-Za-z0-9_@$-]|[.:][A-Za-z0-9_-])"

# The rest of a model ID after "<provider>.": later dotted parts start with a digit.
_REST = re.compile(
    rb"(?P<name>[a-z0-9][a-z0-9-]*(?:\.[0-9][a-z0-9-]*)*)"
    rb"(?P<version>:[a-z0-9-]+)?(?::[0-9]+[km])?" + _END
)
# A geography just before "<provider>." (searched in a short window ending at the dot).
_GEO_TAIL = re.compile(rb"[a-z]{2,6}(?:-[a-z]{2,6})?\.\Z")
_ARN = re.compile(
    rb"arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]{0,20}:(?:[0-9]{12})?:[a-z-]+/"
    rb"[A-Za-z0-9.:/-]*[A-Za-z0-9]" + _END
)
_ARN_BEFORE_FORBIDDEN = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ARN_KINDS_REPORTED = frozenset(
    {
        "foundation-model", "inference-profile", "application-inference-profile",
        "provisioned-model", "custom-model", "imported-model", "custom-model-deployment",
        "prompt-router", "prompt",
    }
)
_STRONG = re.compile(r"[a-z][0-9]|[0-9][a-z]|[0-9]\.[0-9]")
_V_NAME = re.compile(r"v[0-9]+(?:\.[0-9]+)*")
_DOT, _CLOSE_PLACEHOLDER = ord("."), frozenset(b"})")
# An unknown geography is accepted (AWS adds new ones: ca., in.), except these words, which
# in code are receivers: "self.amazon.nova-pro-v1" is an attribute chain, not a profile.
_NOT_GEOGRAPHIES = frozenset(
    {
        "self", "this", "that", "cls", "super", "ctx", "cfg", "conf", "config", "app", "env",
        "args", "opts", "props", "model", "models", "client", "llm", "os", "sys",
    }
)


def _shape(name: str, has_version: bool) -> str:
    """'strong', 'weak' (needs the catalogue) or 'no'.

    ``word-N`` (one hyphen, digits after it: ``zai.glm-5``) is weak whatever the word, as
    it reads exactly like arithmetic in code (``meta.length-1``, ``meta.x2-1``). A version
    alone proves nothing either: ``amazon.com:443`` is a host and port.
    """
    if _V_NAME.fullmatch(name):
        return "strong" if "." in name else "weak"  # "deepseek.v3.1"; "openai.v1" is an API path
    hyphens = name.count("-")
    if hyphens == 0:
        return "no"
    if hyphens == 1 and name.partition("-")[2].isdigit():
        return "weak"
    if has_version or hyphens >= 2 or _STRONG.search(name):
        return "strong"
    return "weak"


@functools.lru_cache(maxsize=1)
def _catalogue() -> frozenset[str]:
    """Base model IDs the bundled lifecycle data knows (for ``word-N`` names only)."""
    try:
        from bedrock_lifecycle.lifecycle import bundled

        data = bundled.load()
    except Exception:  # the scanner must work without lifecycle data: weak names then fail
        return frozenset()
    return frozenset(data.catalogue) | {e.model_id for e in data.entries}


def _accept_plain(text: str, name: str, has_version: bool) -> bool:
    shape = _shape(name, has_version)
    if shape == "no":
        return False
    try:
        mid = parse_model_id(text)
    except ModelIdError:
        return False
    if shape == "weak":
        known = _catalogue()
        return any(k in known for k in mid.lookup_keys)
    return True


def _accept_arn(text: str) -> bool:
    try:
        mid = parse_model_id(text)
    except ModelIdError:
        return False
    # A named base model needs a known provider, as a plain ID does: documentation
    # placeholders ("…:foundation-model/provider.model-name") are not models.
    return mid.kind in _ARN_KINDS_REPORTED and (mid.provider is None or mid.provider in KNOWN_PROVIDERS)


def _find(data: bytes) -> list[tuple[int, int]]:
    """(start, end) byte spans of every identifier in ``data``, in order."""
    hits: list[tuple[int, int]] = []
    arn_spans: list[tuple[int, int]] = []
    i = data.find(b"arn:aws")
    while i >= 0:
        m = _ARN.match(data, i)
        if (
            m is not None
            and (i == 0 or data[i - 1] not in _ARN_BEFORE_FORBIDDEN)
            and _accept_arn(m.group().decode("ascii"))
        ):
            arn_spans.append(m.span())
            i = m.end()
        i = data.find(b"arn:aws", i + 1)
    hits.extend(arn_spans)

    last_end = 0
    arn_i = 0
    for a in _ANCHOR.finditer(data):
        dot = a.start()
        if dot < last_end:
            continue  # inside the previous hit (an ARN or a profile)
        while arn_i < len(arn_spans) and arn_spans[arn_i][1] <= dot:
            arn_i += 1
        if arn_i < len(arn_spans) and arn_spans[arn_i][0] <= dot:
            continue
        # n <= dot: a negative slice start would wrap around to the end of the data.
        ps = next(dot - n for n in _PROVIDER_LENGTHS if n <= dot and data[dot - n : dot] in _PROVIDERS_B)
        rest = _REST.match(data, dot + 1)
        if rest is None:
            continue
        start = _start(data, ps)
        if start is None:
            continue
        text = data[start : rest.end()].decode("ascii")
        if _accept_plain(text, rest.group("name").decode("ascii"), rest.group("version") is not None):
            hits.append((start, rest.end()))
            last_end = rest.end()
    if arn_spans:
        hits.sort()
    return hits


def _start(data: bytes, ps: int) -> int | None:
    """Where the identifier whose provider starts at ``ps`` starts, or None (not a token)."""
    if ps == 0:
        return 0
    before = data[ps - 1]
    if before != _DOT:
        return None if before in _BEFORE_FORBIDDEN else ps
    # "<geo>.<provider>": the geography must itself start a token.
    g = _GEO_TAIL.search(data, max(0, ps - 14), ps)
    if g is not None:
        gs = g.start()
        geo = data[gs : ps - 1].decode("ascii")
        if (gs == 0 or data[gs - 1] not in _BEFORE_FORBIDDEN) and (
            geo in KNOWN_GEOGRAPHIES or (geo not in KNOWN_PROVIDERS and geo not in _NOT_GEOGRAPHIES)
        ):
            return gs
    if ps >= 2 and data[ps - 2] in _CLOSE_PLACEHOLDER:
        return ps  # "{geo}.anthropic…", "${var.geo}.anthropic…": the model ID after it
    return None


def _positions(data: bytes, spans: Iterable[tuple[int, int]], errors: str) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    line, line_start, counted = 1, 0, 0
    for start, end in spans:
        line += data.count(b"\n", counted, start)
        counted = start
        nl = data.rfind(b"\n", line_start, start)
        if nl >= 0:
            line_start = nl + 1
        prefix = data[line_start:start]
        col = len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", errors))
        out.append((line, col + 1, data[start:end].decode("ascii")))
    return out


def scan_bytes(data: bytes) -> list[tuple[int, int, str]]:
    """(line, column, id) of every identifier in UTF-8 (or ASCII-compatible) ``data``."""
    return _positions(data, _find(data), "replace")


def scan_text(text: str) -> list[tuple[int, int, str]]:
    """(line, column, id) of every identifier in ``text``; line and column are 1-based."""
    data = text.encode("utf-8", "surrogatepass")
    return _positions(data, _find(data), "surrogatepass")


# --------------------------------------------------------------------------- files


def _excluded(name: str, rel: str, exclude: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pat) or fnmatch.fnmatchcase(rel, pat) for pat in exclude)


def iter_files(paths: Sequence[str | Path], *, exclude: Sequence[str] = ()) -> Iterator[Path]:
    """Every file to scan under ``paths``, in a stable (sorted) order.

    A path given here is scanned even if a walk would skip it; directories are walked
    with the skip rules in the module docstring. ``exclude`` holds glob patterns matched
    against each entry's name and its path relative to the walked root (``docs/*``).
    Raises :class:`FileNotFoundError` for a path that does not exist.
    """
    for p in paths:
        root = Path(p)
        st = root.stat()  # follows a symlink named explicitly; raises when missing
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(root, exclude)
        elif stat.S_ISREG(st.st_mode):
            yield root


def _walk(root: Path, exclude: Sequence[str]) -> Iterator[Path]:
    # Depth-first in name order (the order of ``find | sort``), with an explicit stack of
    # directory listings rather than recursion, so a deep tree cannot hit the recursion limit.
    stack = [_children(os.fspath(root), "", exclude)]
    while stack:
        for path, rel, is_dir in stack[-1]:
            if is_dir:
                stack.append(_children(path, rel, exclude))
                break  # resume this listing after the subdirectory
            yield Path(path)
        else:
            stack.pop()


def _children(top: str, rel_top: str, exclude: Sequence[str]) -> Iterator[tuple[str, str, bool]]:
    """(path, path relative to the root, is a directory) of each entry of ``top`` to visit."""
    try:
        with os.scandir(top) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return  # unreadable directory: nothing to report from it
    if rel_top and any(e.name == "pyvenv.cfg" for e in entries):
        return  # a virtual environment, whatever its name
    for e in entries:
        name = e.name
        rel = f"{rel_top}/{name}" if rel_top else name
        try:
            if e.is_dir(follow_symlinks=False):
                if name in SKIP_DIRS or name.endswith(".egg-info"):
                    continue
                if exclude and _excluded(name, rel, exclude):
                    continue
                yield e.path, rel, True
            elif e.is_file(follow_symlinks=False):
                if os.path.splitext(name)[1].lower() in BINARY_EXTENSIONS:
                    continue
                if exclude and _excluded(name, rel, exclude):
                    continue
                yield e.path, rel, False
        except OSError:
            continue


def read_text_bytes(path: str | Path) -> bytes | None:
    """The file's bytes, or None when it is unreadable, too large or binary."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
        if size > MAX_FILE_BYTES:
            return None
        chunks = [os.read(fd, size + 1)]  # one read for a regular file; loop for short reads
        total = len(chunks[0])
        while chunks[-1] and total <= size:
            chunks.append(os.read(fd, MAX_FILE_BYTES + 1 - total))
            total += len(chunks[-1])
    except OSError:
        return None
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(data) > MAX_FILE_BYTES or data.find(b"\0", 0, BINARY_SNIFF_BYTES) >= 0:
        return None
    return data


def scan_file(path: str | Path) -> list[Finding]:
    """Findings in one file (none when it is unreadable, binary or too large)."""
    data = read_text_bytes(path)
    if not data:
        return []
    spans = _find(data)
    if not spans:
        return []
    name = os.fspath(path)
    return [Finding(name, line, col, mid) for line, col, mid in _positions(data, spans, "replace")]


def scan_paths(paths: Sequence[str | Path], *, exclude: Sequence[str] = ()) -> Iterator[Finding]:
    """Every finding under ``paths`` (see :func:`iter_files`), file by file, in order."""
    for path in iter_files(paths, exclude=exclude):
        yield from scan_file(path)


__all__ = [
    "BINARY_EXTENSIONS",
    "MAX_FILE_BYTES",
    "SKIP_DIRS",
    "Finding",
    "iter_files",
    "read_text_bytes",
    "scan_bytes",
    "scan_file",
    "scan_paths",
    "scan_text",
]
