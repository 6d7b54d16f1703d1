"""Which files a scan reads, reading them, and what it could not read.

What is skipped while walking a directory (a path named explicitly is always visited):
VCS directories, virtual environments (by name, or any directory holding a ``pyvenv.cfg``),
dependency, cache and build-output directories (:data:`SKIP_DIRS`, ``*.egg-info``),
symbolic links, files with a known binary extension (:data:`BINARY_EXTENSIONS`), files
with a NUL byte in their first 8 KiB (binary, or UTF-16 text), and files larger than
:data:`MAX_FILE_BYTES` (10 MiB: generated bundles and data dumps, not code anyone edits).

A file named explicitly is read whatever its extension and size (a large one in blocks, so
memory stays bounded); only the NUL-byte check still applies to it, and a named file found
binary is reported as such (``status == "binary"``), never counted as scanned.

Nothing is silently dropped: every file comes back as a :class:`FileScan` whose ``status``
says whether it was read (``scanned``) or why not (``binary``, ``too-large``,
``unreadable``), and a directory that cannot be listed comes back as ``unreadable`` too.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bedrock_lifecycle.toolkit.scan.match import find_spans, may_contain_ids, positions
from bedrock_lifecycle.toolkit.scan.notebook import NotNotebook, scan_notebook

MAX_FILE_BYTES = 10 * 1024 * 1024
BINARY_SNIFF_BYTES = 8192
BLOCK_BYTES = 8 * 1024 * 1024  # block size for a named file over MAX_FILE_BYTES

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

Status = Literal["scanned", "binary", "too-large", "unreadable"]


@dataclass(frozen=True)
class Finding:
    path: str
    line: int  # 1-based; in a notebook, within the cell (or output)
    column: int  # 1-based, in characters
    model_id: str  # as written
    cell: int | None = None  # notebook: 1-based cell number
    cell_type: str | None = None  # notebook: "code", "markdown", "raw"
    output: int | None = None  # notebook: 1-based output number when found in a cell output
    file_line: int | None = None  # notebook: line in the .ipynb file itself
    file_column: int | None = None

    @property
    def location(self) -> str:
        """``path:line:column``, or ``path cell N[ output K] line:column`` in a notebook."""
        if self.cell is None:
            return f"{self.path}:{self.line}:{self.column}"
        out = f" output {self.output}" if self.output is not None else ""
        return f"{self.path} cell {self.cell}{out} {self.line}:{self.column}"


@dataclass
class FileScan:
    """What happened to one file (or one directory that could not be listed)."""

    path: str
    status: Status
    findings: list[Finding] = field(default_factory=list)
    note: str = ""  # why it was not read, or how it was read ("scanned as text: …")
    named: bool = False  # given explicitly rather than found by walking


# --------------------------------------------------------------------------- walking


def _as_paths(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def _excluded(name: str, rel: str, exclude: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pat) or fnmatch.fnmatchcase(rel, pat) for pat in exclude)


def _entries(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], exclude: Sequence[str]
) -> Iterator[tuple[str, bool, str | None]]:
    """(path, named, error) for every file to read, and every directory that failed (error)."""
    for p in _as_paths(paths):
        st = os.stat(p)  # follows a symlink named explicitly; raises when missing
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(p, exclude)
        elif stat.S_ISREG(st.st_mode):
            yield p, True, None
        else:  # a FIFO, socket or device named explicitly: said, never silently dropped
            yield p, True, "not a regular file or directory"


def _walk(root: str, exclude: Sequence[str]) -> Iterator[tuple[str, bool, str | None]]:
    # Depth-first in name order (the order of ``find | sort``), with an explicit stack of
    # directory listings rather than recursion, so a deep tree cannot hit the recursion limit.
    stack = [_children(root, "", exclude)]
    while stack:
        for path, rel, kind in stack[-1]:
            if kind == "dir":
                stack.append(_children(path, rel, exclude))
                break  # resume this listing after the subdirectory
            yield path, False, (None if kind == "file" else kind)
        else:
            stack.pop()


def _children(top: str, rel_top: str, exclude: Sequence[str]) -> Iterator[tuple[str, str, str]]:
    """(path, path relative to the root, "dir" | "file" | error text) of each entry to visit."""
    try:
        with os.scandir(top) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield top, rel_top, f"cannot list directory: {exc.strerror or exc}"
        return
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
                yield e.path, rel, "dir"
            elif e.is_file(follow_symlinks=False):
                if os.path.splitext(name)[1].lower() in BINARY_EXTENSIONS:
                    continue
                if exclude and _excluded(name, rel, exclude):
                    continue
                yield e.path, rel, "file"
        except OSError as exc:
            yield e.path, rel, f"cannot stat: {exc.strerror or exc}"


def iter_files(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, exclude: Sequence[str] = ()
) -> Iterator[Path]:
    """Every file to read under ``paths`` (one path or several), in a stable (sorted) order.

    A path given here is read even if a walk would skip it; directories are walked with the
    skip rules in the module docstring. ``exclude`` holds glob patterns matched against each
    entry's name and its path relative to the walked root (``docs/*``). Directories that
    cannot be listed are left out here; :func:`scan_files` reports them.
    Raises :class:`FileNotFoundError` for a path that does not exist.
    """
    for path, _, error in _entries(paths, exclude):
        if error is None:
            yield Path(path)


# --------------------------------------------------------------------------- reading


def _scan_blocks(fd: int, path: str) -> list[Finding]:
    """A named file over the size limit, in blocks cut at line ends (IDs never span lines)."""
    out: list[Finding] = []
    carry = b""
    line_base = 0
    while True:
        block = os.read(fd, BLOCK_BYTES)
        data = carry + block
        if not block:
            cut = len(data)
        else:
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # one very long line: keep reading
                carry = data
                continue
        part, carry = data[:cut], data[cut:]
        spans = find_spans(part)
        if spans:
            out += [Finding(path, line_base + ln, col, mid) for ln, col, mid in positions(part, spans, "replace")]
        line_base += part.count(b"\n")
        if not block:
            return out


def _read(path: str, named: bool, max_bytes: int) -> tuple[Status, bytes | None, str, list[Finding] | None]:
    """(status, data, note, findings already made for a large named file)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        return "unreadable", None, exc.strerror or str(exc), None
    try:
        size = os.fstat(fd).st_size
        head = os.read(fd, min(size, max_bytes) + 1 if size <= max_bytes else BINARY_SNIFF_BYTES)
        if head.find(b"\0", 0, BINARY_SNIFF_BYTES) >= 0:
            return "binary", None, f"NUL byte in the first {BINARY_SNIFF_BYTES // 1024} KiB (binary or UTF-16)", None
        if size > max_bytes:
            if not named:
                return "too-large", None, f"{size / 2**20:.1f} MiB, over the {max_bytes / 2**20:g} MiB limit", None
            os.lseek(fd, 0, os.SEEK_SET)
            note = f"{size / 2**20:.1f} MiB: read in blocks (over the {max_bytes / 2**20:g} MiB walk limit)"
            return "scanned", None, note, _scan_blocks(fd, path)
        chunks = [head]
        total = len(head)
        while chunks[-1] and total <= size:  # short reads (and files that grew meanwhile)
            chunks.append(os.read(fd, max_bytes + 1 - total))
            total += len(chunks[-1])
    except OSError as exc:
        return "unreadable", None, exc.strerror or str(exc), None
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(data) > max_bytes and not named:
        return "too-large", None, f"grew over the {max_bytes / 2**20:g} MiB limit while read", None
    return "scanned", data, "", None


def read_text_bytes(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> bytes | None:
    """The file's bytes, or None when it is unreadable, too large or binary."""
    status, data, _, _ = _read(os.fspath(path), False, MAX_FILE_BYTES if max_bytes is None else max_bytes)
    return data if status == "scanned" else None


def scan_one(path: str, *, named: bool = True, include_outputs: bool = False,
             max_bytes: int | None = None) -> FileScan:
    """Read and scan one file; the result says what happened. ``max_bytes`` (default
    :data:`MAX_FILE_BYTES`) applies to files found by walking; a named file is read whole."""
    status, data, note, done = _read(path, named, MAX_FILE_BYTES if max_bytes is None else max_bytes)
    if status != "scanned":
        return FileScan(path, status, note=note, named=named)
    if done is not None:
        return FileScan(path, status, done, note, named)
    assert data is not None
    if path.endswith(".ipynb") and may_contain_ids(data):
        try:
            hits = scan_notebook(data, include_outputs=include_outputs)
        except NotNotebook as exc:
            note = f"{exc}; scanned as text"
        else:
            findings = [
                Finding(path, h.line, h.column, h.model_id, h.cell, h.cell_type, h.output, h.file_line, h.file_column)
                for h in hits
            ]
            return FileScan(path, status, findings, named=named)
    spans = find_spans(data) if data else []
    findings = [Finding(path, ln, col, mid) for ln, col, mid in positions(data, spans, "replace")] if spans else []
    return FileScan(path, status, findings, note, named)


def scan_files(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    exclude: Sequence[str] = (),
    include_outputs: bool = False,
    max_bytes: int | None = None,
) -> Iterator[FileScan]:
    """One :class:`FileScan` per file under ``paths`` (and per directory that could not be
    listed), in order. Raises :class:`FileNotFoundError` for a path that does not exist."""
    for path, named, error in _entries(paths, exclude):
        if error is not None:
            yield FileScan(path, "unreadable", note=error, named=named)
        else:
            yield scan_one(path, named=named, include_outputs=include_outputs, max_bytes=max_bytes)


def scan_file(path: str | os.PathLike[str], *, include_outputs: bool = False) -> list[Finding]:
    """Findings in one file (none when it is unreadable or binary: see :func:`scan_one`)."""
    return scan_one(os.fspath(path), include_outputs=include_outputs).findings


def scan_paths(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    exclude: Sequence[str] = (),
    include_outputs: bool = False,
) -> Iterator[Finding]:
    """Every finding under ``paths`` (one path or several), file by file, in order.

    Files that could not be read yield nothing here; use :func:`scan_files` to learn which.
    """
    for result in scan_files(paths, exclude=exclude, include_outputs=include_outputs):
        yield from result.findings


__all__ = [
    "BINARY_EXTENSIONS",
    "BINARY_SNIFF_BYTES",
    "MAX_FILE_BYTES",
    "SKIP_DIRS",
    "FileScan",
    "Finding",
    "iter_files",
    "read_text_bytes",
    "scan_file",
    "scan_files",
    "scan_one",
    "scan_paths",
]
