"""``scan`` against ``grep -rIE`` with an equivalent pattern on the same synthetic tree.

The tree: many small source/config files of mixed types, a few hundred model IDs, plus
node_modules/.git/venv directories that scan skips (grep is told to skip them too, so the
work compared is the same files).
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bedrock_lifecycle.ids import KNOWN_PROVIDERS
from bedrock_lifecycle.scan import scan_paths

IDS = ["anthropic.claude-3-haiku-20240307-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
       "amazon.nova-lite-v1:0", "meta.llama3-1-8b-instruct-v1:0",
       "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1"]
FILLER = ["def handler(event, context):\n    return {'statusCode': 200}\n",
          "const x = require('aws-sdk');\nexport default function f() { return 1; }\n",
          "resource \"aws_lambda_function\" \"f\" {\n  runtime = \"python3.12\"\n}\n",
          "key: value\nlist:\n  - a\n  - b\n", "# Title\n\nSee https://docs.aws.amazon.com and anthropic.com.\n"]
SUFFIXES = [".py", ".ts", ".tf", ".yaml", ".md"]


def build(root: Path, files: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    planted = 0
    for i in range(files):
        d = root / f"pkg{i % 50}" / f"mod{i % 7}"
        d.mkdir(parents=True, exist_ok=True)
        k = i % len(FILLER)
        body = FILLER[k] * rng.randint(5, 40)
        if rng.random() < 0.03:
            body += f'\nMODEL_ID = "{rng.choice(IDS)}"\n'
            planted += 1
        (d / f"f{i}{SUFFIXES[k]}").write_text(body)
    for skipped in ("node_modules/lib", ".git/objects", "venv/lib"):
        d = root / skipped
        d.mkdir(parents=True, exist_ok=True)
        for i in range(files // 10):
            (d / f"x{i}.js").write_text(FILLER[1] * 20 + f"'{IDS[0]}'\n")
    (root / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    return planted


def grep_pattern() -> str:
    providers = "|".join(sorted(KNOWN_PROVIDERS))
    return rf"(({providers})\.[a-z0-9][a-z0-9.-]*[0-9-][a-z0-9.:-]*|arn:aws[a-z-]*:bedrock:[a-z0-9-]*:[0-9]*:[a-z-]+/[A-Za-z0-9.:/_-]+)"


def main(files: int = 10000, runs: int = 5) -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-scan-"))
    try:
        planted = build(root, files)
        grep = shutil.which("grep")
        cmd = [grep or "grep", "-rIEo", "--exclude-dir=node_modules", "--exclude-dir=.git", "--exclude-dir=venv",
               grep_pattern(), str(root)]
        scan_t, grep_t = [], []
        found = grep_found = 0
        for _ in range(runs):  # interleaved, warm page cache after the first round
            t = time.perf_counter()
            found = sum(1 for _ in scan_paths([root]))
            scan_t.append(time.perf_counter() - t)
            if grep:
                t = time.perf_counter()
                out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
                grep_t.append(time.perf_counter() - t)
                grep_found = len(out.splitlines())
        s = statistics.median(scan_t)
        print(f"\n== scan vs grep -rIE: {files} files (+{3 * (files // 10)} in skipped dirs), {planted} planted IDs")
        print(f"  bedrock-lifecycle scan   {s * 1000:8.1f} ms  ({files / s:,.0f} files/s), {found} findings")
        if grep_t:
            g = statistics.median(grep_t)
            print(f"  grep -rIEo              {g * 1000:8.1f} ms  ({files / g:,.0f} files/s), {grep_found} matches")
            print(f"  ratio scan/grep         {s / g:8.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
