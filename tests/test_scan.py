"""Scanning trees for hard-coded model IDs: precision, skips, positions, CLI exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.cli import main
from bedrock_lifecycle.scan import Finding, scan_paths, scan_text

REPO = Path(__file__).resolve().parents[1]
MODEL_IDS = REPO.parent / "shared" / "data" / "model-ids.txt"

HAIKU3 = "anthropic.claude-3-haiku-20240307-v1:0"  # EOL 2026-09-10 (us-east-1 and others)
SONNET45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"  # Legacy 2026-10-08, EOL 2027-04-08
SONNET46 = "anthropic.claude-sonnet-4-6"  # active

REAL = [
    "anthropic.claude-3-haiku-20240307-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "global.anthropic.claude-opus-4-6-v1", "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
    "amazon.titan-text-express-v1:0:8k", "anthropic.claude-v2:1:200k", "deepseek.v3.1", "openai.gpt-oss-20b-1:0",
    "zai.glm-4.7-flash", "meta.llama3-1-8b-instruct-v1:0", "in.moonshotai.kimi-k3", "amazon.nova-2-lite-v1:0",
    "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
    "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/abcdef123456",
    "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:provisioned-model/abcdef123456",
]
LOOKALIKES = [
    "anthropic.com", "amazon.com", "https://docs.aws.amazon.com/bedrock/latest", "meta.json", "cohere.ai",
    "mistral.ai", "bob@anthropic.com", "amazon.aws.ec2", "import stability.config", "amazon.png",
    "foo.anthropic.claude-v2", "path/amazon.nova-lite-v1:0", "meta.llama_index", "self.amazon.nova-pro-v1",
    "www.anthropic.com/news", "amazon.titan_client",
]


@pytest.mark.parametrize("model_id", REAL)
@pytest.mark.parametrize("template", ['model_id="{}"', "modelId: {}", "MODEL={}", "model_id = \"{}\"  # tf",
                                      '{{"modelId": "{}"}}', "- {}", "`{}`", "({})"])
def test_real_ids_found_in_many_syntaxes(model_id: str, template: str) -> None:
    text = template.format(model_id)
    assert [h[2] for h in scan_text(text)] == [model_id]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_no_false_hits_on_lookalikes(text: str) -> None:
    assert scan_text(text) == []


def test_every_id_in_the_reference_list_is_found() -> None:
    if not MODEL_IDS.exists():
        pytest.skip("reference data not available")
    ids = []
    for line in MODEL_IDS.read_text().splitlines():
        word = line.split("\t")[0].split()[0] if line.strip() and not line.startswith("#") else ""
        if "." in word and not word.endswith(".") and "@" not in word:
            ids.append(word)
    assert len(ids) > 200
    missed = [i for i in ids if [h[2] for h in scan_text(f'id = "{i}"')] != [i]]
    assert not missed


def test_line_and_column_are_exact_including_unicode() -> None:
    text = f"# café ☕\nx = 1\n    résumé = '{HAIKU3}'\n"
    assert scan_text(text) == [(3, 15, HAIKU3)]


@settings(max_examples=200, deadline=None)
@given(
    model=st.sampled_from(REAL),
    before=st.text(alphabet=" \t\n\"'=:,;()[]{}<>|", max_size=20),
    after=st.text(alphabet=" \t\n\"'=,;()[]{}<>|", max_size=20),
)
def test_embedded_id_found_exactly_once_at_its_column(model: str, before: str, after: str) -> None:
    text = before + model + after
    hits = scan_text(text)
    assert [h[2] for h in hits] == [model]
    line, col, _ = hits[0]
    assert line == before.count("\n") + 1
    assert col == len(before) - (before.rfind("\n") + 1) + 1


def make_tree(root: Path) -> None:
    (root / "app").mkdir()
    (root / "app" / "main.py").write_text(f'MODEL = "{HAIKU3}"\n')
    (root / "app" / "chat.ts").write_text(f"const m = '{SONNET46}';\n")
    (root / "infra").mkdir()
    (root / "infra" / "main.tf").write_text(f'model_id = "{SONNET45}"\n')
    (root / "config.yaml").write_text(f"model: us.{SONNET46}\n")
    (root / ".env").write_text(f"BEDROCK_MODEL={SONNET46}\n")
    for skipped in ("node_modules/pkg", ".git/objects", "venv/lib", "__pycache__", "dist"):
        (root / skipped).mkdir(parents=True)
        (root / skipped / "x.py").write_text(f"m = '{HAIKU3}'\n")
    (root / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (root / "image.png").write_bytes(HAIKU3.encode())
    (root / "blob.dat").write_bytes(b"\0\0" + HAIKU3.encode())


def test_tree_scan_skips_vcs_envs_dependencies_and_binaries(tmp_path: Path) -> None:
    make_tree(tmp_path)
    found = sorted((Path(f.path).relative_to(tmp_path).as_posix(), f.line, f.model_id) for f in scan_paths([tmp_path]))
    assert found == sorted([
        ("app/main.py", 1, HAIKU3), ("app/chat.ts", 1, SONNET46), ("infra/main.tf", 1, SONNET45),
        ("config.yaml", 1, f"us.{SONNET46}"), (".env", 1, SONNET46),
    ])
    assert all(isinstance(f, Finding) for f in scan_paths([tmp_path / "app" / "main.py"]))


def test_cli_json_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path)
    assert main(["scan", str(tmp_path), "--region", "us-east-1", "--at", "2026-11-25", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    by_id = {f["model_id"]: f for f in data["findings"]}
    assert by_id[HAIKU3]["state"] == "eol" and by_id[HAIKU3]["eol_date"].startswith("2026-09-10")
    assert by_id[SONNET45]["state"] == "legacy"
    assert by_id[f"us.{SONNET46}"]["base_model_id"] == SONNET46
    assert set(by_id[HAIKU3]) >= {"path", "line", "model_id", "base_model_id", "state", "eol_date", "replacements"}
    # Only an active model: exit 0; with --within reaching its EOL: exit 1.
    clean = tmp_path / "app" / "chat.ts"
    assert main(["scan", str(clean), "--at", "2026-11-25"]) == 0
    sonnet = tmp_path / "infra" / "main.tf"
    assert main(["scan", str(sonnet), "--region", "us-east-1", "--at", "2026-06-01"]) == 0  # active then
    assert main(["scan", str(sonnet), "--region", "us-east-1", "--at", "2026-06-01", "--within", "365"]) == 1
    capsys.readouterr()


@pytest.mark.parametrize("argv", [["scan", "/no/such/path"], ["scan", ".", "--at", "someday"],
                                  ["scan", ".", "--within", "-1"]])
def test_cli_usage_errors_are_one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
