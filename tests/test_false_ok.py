"""No gate passes falsely (issue 10, part 11).

For each gate, a table of inputs that must not pass: an EOL model, a mistyped region (flag,
environment, ARN, configuration), an unreadable file, a missing configuration, a weight-0 EOL
target and an unknown geography prefix. ``fail`` rows assert a non-zero exit (1: the gate
fails; 2: usage error) and a message naming the cause.

``status`` and ``lookup`` are informational by design (documented in their ``--help``): they
exit 0 whatever the lifecycle state. Their ``info`` rows assert instead that the output
names the problem. Usage errors (a mistyped region, an invalid configuration) still exit 2 there.
Inputs that do not apply to a gate (``scan`` reads no configuration; ``lookup`` has no
weights) are listed in ``NOT_APPLICABLE`` with the reason, so the matrix is complete.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bedrock_lifecycle.cli import main
from bedrock_lifecycle.toolkit.scan import files as scan_files

HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"  # EOL 2026-09-10 in us-east-1
HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"  # active
BAD_PREFIX = "ap.anthropic.claude-sonnet-4-6"  # 'ap.' is no geography ('apac.' is)
BAD_ARN = f"arn:aws:bedrock:us-east1::foundation-model/{HAIKU_3}"
NOW = "2026-12-01"

LIVE = f'[aliases.chat]\ntargets = ["{HAIKU_45}"]\n'
EOL_TARGET = f'[aliases.chat]\ntargets = ["{HAIKU_3}"]\n'
WEIGHT0 = f'[aliases.chat]\ntargets = [{{ model = "{HAIKU_45}", weight = 100 }}, {{ model = "{HAIKU_3}", weight = 0 }}]\n'
EOL_FALLBACK = f'[aliases.chat]\ntargets = ["{HAIKU_45}"]\nfallbacks = ["{HAIKU_3}"]\n'
EOL_SHADOW = f'[aliases.chat]\ntargets = ["{HAIKU_45}"]\nshadow = {{ model = "{HAIKU_3}" }}\n'
EOL_RAMP = (f'[aliases.chat]\ntargets = [{{ model = "{HAIKU_45}", weight = 100 }}, {{ model = "{HAIKU_3}", weight = 0 }}]\n'
            '[[aliases.chat.ramp]]\nat = "2027-01-01"\nweights = [50, 50]\n')
PREFIX_CONFIG = f'[aliases.chat]\ntargets = ["{BAD_PREFIX}"]\n'
OVERRIDE_REGION = (LIVE + f'[[registry.overrides]]\nmodel = "{HAIKU_45}"\nregions = ["us-east1"]\n'
                   'eol = "2027-01-01"\n')


@dataclass(frozen=True)
class Case:
    gate: str
    cause: str
    argv: tuple[str, ...]
    expect: str  # "fail" (exit 1), "usage" (exit 2) or "info" (exit 0, the output names the problem)
    names: str  # regex the output (stdout + stderr) must match
    config: str | None = LIVE  # models.toml text; None: BEDROCK_LIFECYCLE_CONFIG unset
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    unreadable: tuple[str, ...] = ()


EOL_NAMED = rf"{re.escape(HAIKU_3)}.*\beol\b"
REGION_NAMED = r"'us-east1' is not a region of any AWS partition; did you mean 'us-east-1'\?"
PREFIX_NAMED = r"'ap\.' is not a cross-region inference profile geography"

CASES = [
    # ------------------------------------------------------------------ scan
    Case("scan", "EOL model", ("scan", "app.py", "--region", "us-east-1"), "fail", EOL_NAMED,
         files={"app.py": f'M = "{HAIKU_3}"\n'}),
    Case("scan", "mistyped region (--region)", ("scan", "app.py", "--region", "us-east1"), "usage", REGION_NAMED,
         files={"app.py": f'M = "{HAIKU_3}"\n'}),
    Case("scan", "mistyped region (AWS_REGION)", ("scan", "app.py"), "usage", "AWS_REGION: " + REGION_NAMED,
         env={"AWS_REGION": "us-east1"}, files={"app.py": f'M = "{HAIKU_3}"\n'}),
    Case("scan", "mistyped region (in an ARN)", ("scan", "app.py", "--region", "us-east-1"), "fail",
         "ARN region " + REGION_NAMED, files={"app.py": f'M = "{BAD_ARN}"\n'}),
    Case("scan", "unreadable file", ("scan", "app.py", "--region", "us-east-1"), "usage",
         r"cannot read app\.py.*Permission denied", files={"app.py": f'M = "{HAIKU_3}"\n'}, unreadable=("app.py",)),
    Case("scan", "unreadable directory", ("scan", ".", "--region", "us-east-1"), "usage",
         r"cannot read .*sub.*Permission denied", files={"sub/app.py": f'M = "{HAIKU_45}"\n'},
         unreadable=("sub",)),
    Case("scan", "weight-0 EOL target (in a scanned models.toml)", ("scan", "models.toml", "--region", "us-east-1"),
         "fail", EOL_NAMED, files={"models.toml": WEIGHT0}),
    Case("scan", "unknown geography prefix", ("scan", "app.py", "--region", "us-east-1"), "fail", PREFIX_NAMED,
         files={"app.py": f'M = "{BAD_PREFIX}"\n'}),
    # ------------------------------------------------------------------ check
    Case("check", "EOL model", ("check",), "fail", EOL_NAMED, config=EOL_TARGET),
    Case("check", "mistyped region (--region)", ("check", "--region", "us-east1"), "usage", REGION_NAMED),
    Case("check", "mistyped region (AWS_DEFAULT_REGION)", ("check",), "usage",
         "AWS_DEFAULT_REGION: " + REGION_NAMED, env={"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-east1"}),
    Case("check", "mistyped region (configuration)", ("check",), "usage", r"regions.*'us-east1' is not a region",
         config=OVERRIDE_REGION),
    Case("check", "missing configuration", ("check",), "usage", r"no configuration found.*BEDROCK_LIFECYCLE_CONFIG",
         config=None),
    Case("check", "configuration file missing", ("check",), "usage", r"gone\.toml: cannot read",
         config=None, env={"BEDROCK_LIFECYCLE_CONFIG": "gone.toml"}),
    Case("check", "unreadable configuration", ("check",), "usage", r"adir.*cannot read",
         config=None, env={"BEDROCK_LIFECYCLE_CONFIG": "adir"}, files={"adir/x": ""}),
    Case("check", "weight-0 EOL target", ("check",), "fail", r"target \(weight 0\)", config=WEIGHT0),
    Case("check", "EOL target only in a future ramp step", ("check",), "fail", r"target \(weight 0\)",
         config=EOL_RAMP),
    Case("check", "EOL fallback", ("check",), "fail", rf"{re.escape(HAIKU_3)}\s+fallback", config=EOL_FALLBACK),
    Case("check", "EOL shadow model", ("check",), "fail", rf"{re.escape(HAIKU_3)}\s+shadow", config=EOL_SHADOW),
    Case("check", "unknown geography prefix", ("check",), "usage", PREFIX_NAMED, config=PREFIX_CONFIG),
    Case("check", "mistyped BEDROCK_LIFECYCLE_NOW", ("check",), "usage", r"BEDROCK_LIFECYCLE_NOW: 'soon'",
         env={"BEDROCK_LIFECYCLE_NOW": "soon"}),
    # ------------------------------------------------------------------ status (informational)
    Case("status", "EOL model", ("status",), "info", EOL_NAMED + r".*would fail 'bedrock-lifecycle check'",
         config=EOL_TARGET),
    Case("status", "weight-0 EOL target", ("status",), "info",
         rf"1 model would fail.*{re.escape(HAIKU_3)} \(target \(weight 0\)\): eol", config=WEIGHT0),
    Case("status", "mistyped region (--region)", ("status", "--region", "us-east1"), "usage", REGION_NAMED),
    Case("status", "mistyped region (AWS_REGION)", ("status",), "usage", "AWS_REGION: " + REGION_NAMED,
         env={"AWS_REGION": "us-east1"}),
    Case("status", "missing configuration", ("status",), "info", r"No aliases or chains configured", config=None),
    Case("status", "configuration file missing", ("status",), "usage", r"gone\.toml: cannot read",
         config=None, env={"BEDROCK_LIFECYCLE_CONFIG": "gone.toml"}),
    Case("status", "unknown geography prefix", ("status",), "usage", PREFIX_NAMED, config=PREFIX_CONFIG),
    # ------------------------------------------------------------------ lookup (informational)
    Case("lookup", "EOL model", ("lookup", HAIKU_3, "--region", "us-east-1"), "info",
         r"state:\s+eol \(since 2026-09-10\).*replacements:\s+" + re.escape(HAIKU_45)),
    Case("lookup", "mistyped region (--region)", ("lookup", HAIKU_3, "--region", "us-east1"), "usage", REGION_NAMED),
    Case("lookup", "mistyped region (AWS_REGION)", ("lookup", HAIKU_3), "usage", "AWS_REGION: " + REGION_NAMED,
         env={"AWS_REGION": "us-east1"}),
    Case("lookup", "mistyped region (in an ARN)", ("lookup", BAD_ARN), "usage", "ARN region: " + REGION_NAMED,
         env={"AWS_REGION": ""}),
    Case("lookup", "unknown geography prefix", ("lookup", BAD_PREFIX), "usage", PREFIX_NAMED),
    # ------------------------------------------------------------------ resolve
    Case("resolve", "EOL model", ("resolve", HAIKU_3), "fail", rf"refused before sending.*{EOL_NAMED}"),
    Case("resolve", "EOL target of the alias", ("resolve", "chat"), "fail",
         r"the client refuses this configuration.*past its end-of-life date", config=EOL_TARGET),
    Case("resolve", "weight-0 EOL target", ("resolve", "chat"), "fail",
         rf"the client refuses this configuration.*{re.escape(HAIKU_3)}", config=WEIGHT0),
    Case("resolve", "mistyped region (--region)", ("resolve", "chat", "--region", "us-east1"), "usage",
         REGION_NAMED),
    Case("resolve", "mistyped region (AWS_REGION)", ("resolve", "chat"), "usage", "AWS_REGION: " + REGION_NAMED,
         env={"AWS_REGION": "us-east1"}),
    Case("resolve", "missing configuration", ("resolve", "chat"), "usage",
         r"not a configured alias either \(aliases: none configured\)", config=None),
    Case("resolve", "unknown geography prefix", ("resolve", BAD_PREFIX), "usage", PREFIX_NAMED),
]

NOT_APPLICABLE = {
    ("scan", "missing configuration"): "scan reads source files, not the configuration",
    ("lookup", "weight-0 EOL target"): "lookup takes one model ID, no configuration or weights",
    ("lookup", "missing configuration"): "lookup reads no configuration",
    ("lookup", "unreadable file"): "lookup reads no file but the data cache (a corrupt cache warns)",
    ("status", "unreadable file"): "the configuration file case covers it",
    ("resolve", "unreadable file"): "the configuration file case of check covers the shared loader",
}

_EXPECTED_CODE = {"fail": 1, "usage": 2, "info": 0}


def test_every_gate_meets_every_input() -> None:
    causes = ("EOL model", "mistyped region", "unreadable", "missing configuration", "weight-0 EOL target",
              "unknown geography prefix")
    for gate in ("scan", "check", "status", "lookup", "resolve"):
        for cause in causes:
            covered = any(c.gate == gate and c.cause.startswith(cause) for c in CASES) or any(
                g == gate and k.startswith(cause.split()[0]) for g, k in NOT_APPLICABLE)
            assert covered, (gate, cause)


def _unreadable(monkeypatch: pytest.MonkeyPatch, paths: set[str]) -> None:
    """Refuse to open or list ``paths`` (tests may run as root, where chmod 000 does not)."""
    real_open, real_scandir = os.open, os.scandir

    def fake_open(path: Any, *a: Any, **k: Any) -> int:
        if os.path.abspath(os.fspath(path)) in paths:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *a, **k)

    def fake_scandir(path: Any = ".") -> Any:
        if os.path.abspath(os.fspath(path)) in paths:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(scan_files.os, "open", fake_open)
    monkeypatch.setattr(scan_files.os, "scandir", fake_scandir)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.gate}: {c.cause}" for c in CASES])
def test_no_gate_passes_falsely(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    for k in list(os.environ):
        if k.startswith("BEDROCK_LIFECYCLE_") or k in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BEDROCK_LIFECYCLE_NOW", NOW)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    if case.config is not None:
        (tmp_path / "models.toml").write_text(case.config)
        monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", str(tmp_path / "models.toml"))
    for name, text in case.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    for k, v in case.env.items():
        if v:
            monkeypatch.setenv(k, v)
        else:
            monkeypatch.delenv(k, raising=False)
    if case.unreadable:
        _unreadable(monkeypatch, {str(tmp_path / p) for p in case.unreadable})
    try:
        code = main(list(case.argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    text = out + err
    assert code == _EXPECTED_CODE[case.expect], f"{case.gate} {case.cause}: exit {code}\n{text}"
    flat = re.sub(r"\s+", " ", text)  # wrapped lines read as one
    assert re.search(case.names, flat), f"{case.gate} {case.cause}: the output does not name the cause\n{text}"
    assert "Traceback" not in text
