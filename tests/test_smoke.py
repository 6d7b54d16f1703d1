"""Package-level promises: lazy imports, the console entry points."""

from __future__ import annotations

import subprocess
import sys


def test_import_is_lazy() -> None:
    # `import bedrock_lifecycle` must stay cheap: boto3 and pydantic load on first use.
    code = "import sys, bedrock_lifecycle; print('boto3' in sys.modules, 'pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "bedrock_lifecycle", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "lookup" in done.stdout and "scan" in done.stdout


def test_unknown_command_is_one_line_exit_2() -> None:
    done = subprocess.run([sys.executable, "-m", "bedrock_lifecycle", "frobnicate"], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
