"""``scan_paths`` against ``grep -rIE`` with an equivalent pattern, on the same synthetic tree.

Run: ``.venv/bin/python -m bench scan``. The tree (built in a temporary directory, seeded):
source, configuration and infrastructure files and Jupyter notebooks (one file in ten, read
cell by cell by the scanner, as raw text by grep) of mixed types and sizes (1-24 KiB) whose
text mentions look-alikes (``amazon.com``, ``meta.json``, ``writer.write``,
``import.meta.url``, ``google.golang.org``…), a few hundred planted model IDs, profiles and
ARNs, and ``node_modules``, ``.git`` and ``venv`` directories. grep is given the same
``--exclude-dir`` list, so both read the same files. Both run on a warm page cache
(one warm-up round, then interleaved rounds; medians reported). grep runs with
``LC_ALL=C``, its fastest setting.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bedrock_lifecycle.ids import KNOWN_PROVIDERS
from bedrock_lifecycle.toolkit.scan import SKIP_DIRS, scan_paths

IDS = [
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "global.anthropic.claude-opus-4-6-v1",
    "amazon.nova-lite-v1:0",
    "amazon.titan-text-express-v1:0:8k",
    "meta.llama3-1-8b-instruct-v1:0",
    "deepseek.v3.1",
    "openai.gpt-oss-120b-1:0",
    "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.amazon.nova-pro-v1:0",
    "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/a1b2c3d4e5f6",
]

# Per file type: a body (repeated to size) with the look-alikes real code carries.
KINDS: dict[str, str] = {
    ".py": (
        "import json\nfrom google.protobuf import struct_pb2\n\n\ndef handler(event, context):\n"
        "    meta = event.get('meta', {})\n    with open('meta.json') as fh:\n"
        "        data = json.load(fh)\n    return {'statusCode': 200, 'body': len(data)}\n\n"
    ),
    ".ts": (
        "import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';\n"
        "const url = new URL('./worker.js', import.meta.url);\n"
        "export function f(xs: number[]): number { return xs.length - 1; }\n"
        "// docs: https://docs.aws.amazon.com/bedrock/latest/userguide/\n"
    ),
    ".java": (
        "package com.example.app;\nimport software.amazon.awssdk.services.bedrockruntime.*;\n"
        "public class App {\n  void write(java.io.Writer writer) throws Exception {\n"
        "    writer.write(\"hello\"); writer.flush();\n  }\n}\n"
    ),
    ".go": (
        "package main\n\nimport (\n\t\"google.golang.org/grpc\"\n\t\"github.com/aws/aws-sdk-go-v2/aws\"\n)\n\n"
        "func main() { _ = grpc.NewServer(); _ = aws.String(\"x\") }\n"
    ),
    ".tf": (
        'resource "aws_lambda_function" "f" {\n  runtime = "python3.12"\n'
        '  handler = "app.handler"\n  environment { variables = { LOG = "info" } }\n}\n'
    ),
    ".yaml": "service: api\nprovider:\n  name: aws\n  region: us-east-1\nitems:\n  - a\n  - b\n",
    ".json": '{"name": "pkg", "homepage": "https://www.amazon.com/", "author": "dev@anthropic.com"}\n',
    ".md": (
        "# Notes\n\nSee https://docs.aws.amazon.com and anthropic.com, mistral.ai, cohere.ai.\n"
        "Contact support@amazon.com. The amazon.aws collection and stability.config module.\n"
    ),
    ".sh": "#!/bin/sh\nset -eu\naws s3 cp build/app.zip s3://bucket/app.zip\necho done\n",
}
ASSIGN = {
    ".py": 'MODEL_ID = "{}"\n', ".ts": "const modelId = '{}';\n", ".java": 'String m = "{}";\n',
    ".go": 'const model = "{}"\n', ".tf": 'model_id = "{}"\n', ".yaml": "modelId: {}\n",
    ".json": '{{"modelId": "{}"}}\n', ".md": "Uses `{}`.\n", ".sh": "MODEL={}\n",
}
SKIPPED = ("node_modules/lib", ".git/objects", "venv/lib")


def notebook(rng: random.Random, size: int, model: str | None) -> str:
    """A Jupyter notebook (as Jupyter writes it) of about ``size`` bytes: markdown and code
    cells with stream and rich outputs; ``model`` planted in one code cell."""
    cells: list[dict[str, Any]] = []
    while sum(len(json.dumps(c)) for c in cells) < size:
        n = len(cells)
        cells.append({"cell_type": "markdown", "id": f"m{n}", "metadata": {},
                      "source": ["## Step\n", "See https://docs.aws.amazon.com and anthropic.com.\n"]})
        cells.append({"cell_type": "code", "execution_count": n, "id": f"c{n}", "metadata": {},
                      "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\n", "meta.json loaded\n"]},
                                  {"data": {"text/plain": ["{'statusCode': 200}"]}, "execution_count": n,
                                   "metadata": {}, "output_type": "execute_result"}],
                      "source": KINDS[".py"].splitlines(keepends=True)})
    if model is not None:
        cells[rng.randrange(len(cells)) | 1]["source"].append(ASSIGN[".py"].format(model))
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def build(root: Path, files: int, seed: int = 7) -> int:
    """Write the tree; return the number of planted identifiers in scanned files."""
    rng = random.Random(seed)
    kinds = [*KINDS, ".ipynb"]
    planted = 0
    for i in range(files):
        ext = kinds[i % len(kinds)]
        d = root / f"svc{i % 40}" / f"mod{i % 9}"
        d.mkdir(parents=True, exist_ok=True)
        size = rng.randint(1024, 24 * 1024)
        plant = rng.random() < 0.03
        planted += plant
        if ext == ".ipynb":
            (d / f"f{i}{ext}").write_text(notebook(rng, size, rng.choice(IDS) if plant else None))
            continue
        body = KINDS[ext] * (size // len(KINDS[ext]) + 1)
        if plant:
            cut = rng.randrange(len(body))
            cut = body.rfind("\n", 0, cut) + 1
            body = body[:cut] + ASSIGN[ext].format(rng.choice(IDS)) + body[cut:]
        (d / f"f{i}{ext}").write_text(body)
    for skipped in SKIPPED:  # read by neither
        d = root / skipped
        d.mkdir(parents=True, exist_ok=True)
        for i in range(files // 20):
            (d / f"x{i}.js").write_text(KINDS[".ts"] * 20 + f"'{IDS[0]}'\n")
    (root / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    return planted


def grep_pattern() -> str:
    """The scanner's candidate pattern in ERE: a leading boundary class for the look-behind,
    a name with a "-" in its first part (or ``v<digit>``), the ARN form."""
    providers = "|".join(sorted(KNOWN_PROVIDERS))
    plain = (
        rf"([a-z]{{2,6}}(-[a-z]{{2,6}})?\.)?({providers})\.([a-z0-9]*-[a-z0-9-]*|v[0-9][a-z0-9-]*)"
        r"(\.[0-9][a-z0-9-]*)*(:[a-z0-9-]+)?(:[0-9]+[km])?"
    )
    arn = r"arn:aws(-[a-z]+)*:bedrock:[a-z0-9-]{0,20}:([0-9]{12})?:[a-z-]+/[A-Za-z0-9.:/-]*[A-Za-z0-9]"
    return rf"(^|[^A-Za-z0-9_.@$-])({plain}|{arn})"


def _grep_cmd(root: Path) -> list[str]:
    excludes = [f"--exclude-dir={d}" for d in sorted(SKIP_DIRS)]
    return ["grep", "-rIEn", *excludes, grep_pattern(), str(root)]


def _time_scan(root: Path) -> tuple[float, int]:
    t = time.perf_counter()
    n = sum(1 for _ in scan_paths([root]))
    return time.perf_counter() - t, n


def _time_grep(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, check=False, env=env).stdout
    return time.perf_counter() - t, out.count(b"\n")


def main(files: int = 10_000, runs: int = 7) -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-scan-"))
    try:
        planted = build(root, files)
        mib = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20
        have_grep = shutil.which("grep") is not None
        cmd, env = _grep_cmd(root), {**os.environ, "LC_ALL": "C"}
        _time_scan(root)  # warm the page cache and the parser's cache
        if have_grep:
            _time_grep(cmd, env)
        scan_t: list[float] = []
        grep_t: list[float] = []
        found = grep_lines = 0
        for _ in range(runs):  # interleaved, so drift hits both alike
            dt, found = _time_scan(root)
            scan_t.append(dt)
            if have_grep:
                dt, grep_lines = _time_grep(cmd, env)
                grep_t.append(dt)
        s = statistics.median(scan_t)
        notebooks = files // (len(KINDS) + 1)
        print(f"\n== scan_paths vs grep -rIE: {files} files, {notebooks} of them notebooks ({mib:.0f} MiB in all, "
              f"{len(SKIPPED) * (files // 20)} of them in skipped dirs), {planted} planted IDs")
        print(f"  {'scan_paths':<40} {s * 1000:10.1f} ms  {files / s:10,.0f} files/s  {found} findings")
        if grep_t:
            g = statistics.median(grep_t)
            print(f"  {'grep -rIEn (LC_ALL=C)':<40} {g * 1000:10.1f} ms  {files / g:10,.0f} files/s  "
                  f"{grep_lines} lines")
            print(f"  {'ratio scan/grep':<40} {s / g:10.2f}")
        else:
            print("  grep not found: no comparison")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
