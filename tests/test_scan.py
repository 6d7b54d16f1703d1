"""Scanning trees for hard-coded model IDs: recall, precision, skips, positions, CLI gate."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.ids import KNOWN_GEOGRAPHIES, KNOWN_PROVIDERS
from bedrock_lifecycle.lifecycle import sync
from bedrock_lifecycle.toolkit import scan
from bedrock_lifecycle.toolkit.scan import Finding, iter_files, scan_file, scan_paths, scan_text

REPO = Path(__file__).resolve().parents[1]
MODEL_IDS = REPO.parent / "shared" / "data" / "model-ids.txt"
ACCT = "123456789012"

HAIKU3 = "anthropic.claude-3-haiku-20240307-v1:0"  # us-east-1: extended access 2026-08-01, EOL 2026-09-10
SONNET45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"  # active until legacy 2026-10-08, EOL 2027-04-08
SONNET46 = "anthropic.claude-sonnet-4-6"  # active, no dates
JAMBA = "ai21.jamba-instruct-v1:0"  # EOL 2025-08-01, two replacements
NOT_BEDROCK = {"anthropic.claude-haiku-4-5@20251001"}  # Vertex spelling; Bedrock refuses "@"

FALLBACK_IDS = [
    HAIKU3, SONNET45, SONNET46, "amazon.titan-text-express-v1:0:8k", "anthropic.claude-v2:1:200k",
    "deepseek.v3.1", "openai.gpt-oss-20b-1:0", "zai.glm-4.7-flash", "zai.glm-5", "meta.llama3-1-8b-instruct-v1:0",
    "moonshotai.kimi-k2.5", "amazon.nova-2-lite-v1:0", "openai.gpt-5.4", "anthropic.claude-mythos-preview",
]


def reference_ids() -> list[str]:
    """Sections 1-4 of model-ids.txt when present, else a built-in sample."""
    if not MODEL_IDS.exists():
        return FALLBACK_IDS
    out, section = [], 0
    for line in MODEL_IDS.read_text(encoding="utf-8").splitlines():
        m = re.match(r"## (\d+)\.", line)
        if m:
            section = int(m.group(1))
        elif section in (1, 2, 3, 4) and line.strip() and not line.startswith("#"):
            word = line.split()[0]
            if word not in NOT_BEDROCK:
                out.append(word)
    return list(dict.fromkeys(out))


REAL = reference_ids()
FORMS = [
    HAIKU3, f"us.{SONNET45}", "global.anthropic.claude-opus-4-6-v1", f"us-gov.{HAIKU3}", "in.moonshotai.kimi-k3",
    "apac.amazon.nova-lite-v1:0", "amazon.titan-text-express-v1:0:8k", "anthropic.claude-v2:1:200k",
    "deepseek.v3.1", "openai.gpt-5.4", "zai.glm-5", "cohere.embed-english-v3:0:512", "amazon.nova-premier-v1:0:mm",
    "amazon.nova-premier-v1:0:1000k", "anthropic.claude-v2:0:18k",
    "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
    f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/us.{HAIKU3}",
    f"arn:aws:bedrock:eu-west-1:{ACCT}:application-inference-profile/a1b2c3d4e5f6",
    f"arn:aws-us-gov:bedrock:us-gov-west-1:{ACCT}:provisioned-model/abcdef123456",
    f"arn:aws:bedrock:us-east-1:{ACCT}:custom-model/amazon.titan-text-express-v1:0:8k/abcdef123456",
    f"arn:aws:bedrock:us-east-1:{ACCT}:imported-model/abcdef123456",
    f"arn:aws:bedrock:us-east-1:{ACCT}:custom-model-deployment/abcdef123456",
    f"arn:aws:bedrock:us-east-1:{ACCT}:default-prompt-router/anthropic.claude:1",
    "arn:aws:bedrock:us-east-1::foundation-model/cohere.embed-english-v3:0:512",
    f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/us.amazon.nova-premier-v1:0:mm",
    f"arn:aws:bedrock:us-east-1:{ACCT}:custom-model/cohere.embed-multilingual-v3:0:512/abcdef123456",
]
# Made-up geographies: found as written (reported as errors, never as the base model).
UNKNOWN_PREFIX_FORMS = ["ap.anthropic.claude-sonnet-4-6", "amer.amazon.nova-pro-v1:0", f"custom.{HAIKU3}",
                        "mx.anthropic.claude-sonnet-4-6",
                        f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/apc.amazon.nova-pro-v1:0"]


@pytest.fixture(autouse=True)
def _hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The CLI's registry reads only bundled data: an empty sync cache, no region, no pinned clock.
    monkeypatch.setenv(sync.ENV_CACHE_DIR, str(tmp_path / "cache"))
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "BEDROCK_LIFECYCLE_NOW"):
        monkeypatch.delenv(var, raising=False)
    sync._memo.clear()
    yield
    sync._memo.clear()


def ids(text: str) -> list[str]:
    return [h[2] for h in scan_text(text)]


# --------------------------------------------------------------------------- recall

SYNTAXES = [
    'model_id="{}"',  # Python
    "client.converse(modelId='{}', messages=[])",  # Python call
    "const modelId = `{}`;",  # JS/TS template literal
    'String MODEL = "{}";',  # Java / C#
    'val model = "{}"',  # Kotlin
    'const Model = "{}" // go',  # Go
    "MODEL = '{}'.freeze",  # Ruby
    "modelId: {}",  # YAML
    '  - "{}"',  # YAML list
    '{{"modelId": "{}"}}',  # JSON
    'model_id = "{}"',  # Terraform / TOML
    "MODEL={}",  # .env
    "model_id = {}",  # INI / cfg
    "Use `{}` here.",  # Markdown
    "aws bedrock-runtime converse --model-id {} --messages file://m.json",  # shell
    "ENV BEDROCK_MODEL_ID={}",  # Dockerfile
    "      ModelId: {}",  # CloudFormation
    "<model>{}</model>",  # XML
    "({})",
    "bedrock/{}",  # litellm model string
]


@pytest.mark.parametrize("form", FORMS + UNKNOWN_PREFIX_FORMS)
@pytest.mark.parametrize("syntax", SYNTAXES)
def test_every_form_found_in_every_syntax(form: str, syntax: str) -> None:
    assert ids(syntax.format(form)) == [form]


def test_every_reference_id_found_plain_as_profiles_and_in_arns() -> None:
    assert len(REAL) >= (199 if MODEL_IDS.exists() else len(FALLBACK_IDS))
    missed = []
    for raw in REAL:
        forms = [raw, *(f"{g}.{raw}" for g in sorted(KNOWN_GEOGRAPHIES)),
                 f"arn:aws:bedrock:us-west-2::foundation-model/{raw}",
                 f"arn:aws:bedrock:us-west-2:{ACCT}:inference-profile/eu.{raw}"]
        missed += [f for f in forms if ids(f'model_id = "{f}"\n') != [f]]
    assert not missed


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # A templated geography or ARN prefix: the model ID after it is what matters.
        (f'f"{{geo}}.{HAIKU3}"', HAIKU3),
        (f'"${{var.geo}}.{HAIKU3}"', HAIKU3),
        (f"!Sub arn:aws:bedrock:${{AWS::Region}}::foundation-model/{HAIKU3}", HAIKU3),
        (f"arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}:${{AWS::AccountId}}:inference-profile/us.{HAIKU3}",
         f"us.{HAIKU3}"),
        # An ARN of a non-model resource that embeds a model ID.
        (f"arn:aws:bedrock:us-east-1:{ACCT}:model-customization-job/{HAIKU3}/abc", HAIKU3),
        # The runtime URL, and a sentence ending after the ID.
        (f"POST https://bedrock-runtime.us-east-1.amazonaws.com/model/{HAIKU3}/converse", HAIKU3),
        ("We moved to deepseek.v3.1.", "deepseek.v3.1"),
        (f"“{SONNET46}”", SONNET46),
        (f"{SONNET46}: {{temperature: 0}}", SONNET46),
    ],
)
def test_ids_inside_templates_urls_and_prose(text: str, found: str) -> None:
    assert ids(text) == [found]


def test_several_ids_on_one_line_and_adjacent_forms() -> None:
    text = f"[{HAIKU3},us.{SONNET45}, arn:aws:bedrock:us-east-1::foundation-model/{SONNET46}]"
    assert ids(text) == [HAIKU3, f"us.{SONNET45}", f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET46}"]


# --------------------------------------------------------------------------- precision

LOOKALIKES = [
    "anthropic.com", "https://www.anthropic.com/news", "amazon.com", "amazon.co.uk", "docs.aws.amazon.com",
    "https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html", "aws.amazon.com/bedrock/",
    "meta.json", "cohere.ai", "mistral.ai", "openai.com:443", "amazon.com:8080/x", "stability.ai",
    "bob@anthropic.com", "claude-v2@anthropic.com", "anthropic.claude-v2@example.com",
    "import amazon.aws.s3_bucket", "amazon.aws.something", "from stability.config import X", "stability.config",
    "amazon.png", "amazon.mp4", "meta.llama_index", "amazon.titan_client", "writer.write(x)",
    "new URL('./w.js', import.meta.url)", "google.golang.org/grpc", "from google.protobuf import struct_pb2",
    "com.amazon.awssdk.services", "software.amazon.awssdk:bedrockruntime", "x = meta.length-1",
    "return writer.pos-1", "self.amazon.nova-pro-v1", "this.openai.gpt-5-mini", "meta.amazon.nova-pro-v1:0",
    "foo.anthropic.claude", "my-anthropic.claude-v2", "xanthropic.claude-v2", "anthropic.claude-v2.json",
    "anthropic.claude-v2_old", "anthropic.claude-v2$", "$meta.llama3-8b", "ANTHROPIC.CLAUDE-V2",
    "anthropic.Claude-v2", "anthropic.claude-v2:1x_", "anthropic.claude-haiku-4-5@20251001",
    f"arn:aws:bedrock:us-east-1:{ACCT}:knowledge-base/ABCDEFGHIJ", f"arn:aws:bedrock:us-east-1:{ACCT}:agent/X",
    f"arn:aws:bedrock:us-east-1:{ACCT}:prompt/ABCDEFGHIJ:3", f"arn:aws:bedrock:us-east-1:{ACCT}:prompt/ABCDEFGHIJ",
    f"arn:aws:bedrock:us-east-1:{ACCT}:flow/ABCDEFGHIJ", f"arn:aws:bedrock:us-east-1:{ACCT}:flow/ABCDEFGHIJ/alias/X",
    f"arn:aws:bedrock:us-east-1:{ACCT}:agent-alias/ABCDEFGHIJ/X", f"arn:aws:bedrock:us-east-1:{ACCT}:guardrail/x1",
    "obj.anthropic.claude-3-haiku-20240307-v1:0 - 1", "data.amazon.nova-pro-v1:0",
    f"arn:aws:sagemaker:us-east-1:{ACCT}:endpoint/my-endpoint", "arn:aws:s3:::anthropic.com",
    "0.anthropic.claude", "the amazon.", "meta.", "a.b.c.d-1",
    "arn:aws:bedrock:region::foundation-model/provider.model-name",  # a placeholder in botocore's docs
]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_no_false_hits_on_lookalikes(text: str) -> None:
    assert scan_text(text) == []


@settings(max_examples=300, deadline=None)  # timing depends on machine load, not on the code
@given(provider=st.sampled_from(sorted(KNOWN_PROVIDERS)),
       word=st.from_regex(r"[a-z_][a-z0-9_]{0,15}(\.[a-z_][a-z0-9_]{0,10}){0,2}", fullmatch=True),
       before=st.sampled_from(["", " ", "(", "import ", "self.", "from ", "x = ", "www.", "@"]),
       after=st.sampled_from(["", " ", "(", ")", ".", ".x", "-1", " - 1", "[0]", ".json", "_x"]))
def test_dotted_identifiers_are_never_reported(provider: str, word: str, before: str, after: str) -> None:
    # Attribute chains, module paths and file names: no hyphen in the name, so never a model.
    assert scan_text(f"{before}{provider}.{word}{after}") == []


# --------------------------------------------------------------------------- positions


def test_line_and_column_are_exact_including_unicode_and_crlf() -> None:
    text = f"# café ☕\r\nx = 1\r\n    résumé = '{HAIKU3}'  # 🚀 us.{SONNET46}\r\n\n\tm: {JAMBA}"
    assert scan_text(text) == [
        (3, 15, HAIKU3),
        (3, 15 + len(HAIKU3) + len("'  # 🚀 "), f"us.{SONNET46}"),
        (5, 5, JAMBA),
    ]
    assert scan.scan_bytes(text.encode()) == scan_text(text)


def test_column_counts_characters_not_bytes_in_files(tmp_path: Path) -> None:
    f = tmp_path / "x.md"
    f.write_bytes(f"ü\nдобрый день `{HAIKU3}`\n".encode())
    assert scan_file(f) == [Finding(str(f), 2, 14, HAIKU3)]
    f.write_bytes(b"\xff\xfe bad utf-8 " + HAIKU3.encode())  # undecodable bytes count one each
    assert scan_file(f) == [Finding(str(f), 1, 14, HAIKU3)]


id_strategy = st.sampled_from(REAL + FORMS)
delimiter = st.characters(blacklist_categories=("L", "N", "Cs"), blacklist_characters="_.-@$:/")


@settings(max_examples=400, deadline=None)
@given(model=id_strategy, before=st.text(delimiter, max_size=12), after=st.text(delimiter, max_size=12),
       lead=st.sampled_from(["", "x\n", "line one\nline two ☕\n", "a.b\r\n"]))
def test_embedded_id_found_exactly_once_at_its_column(model: str, before: str, after: str, lead: str) -> None:
    head = lead + before
    hits = scan_text(head + model + after)
    assert [h[2] for h in hits] == [model]
    line, col, _ = hits[0]
    assert line == head.count("\n") + 1
    assert col == len(head) - (head.rfind("\n") + 1) + 1


noise_alphabet = st.sampled_from([*"abcdefgluzmnotwrsvx0123456789.-:/_@$ \n\"'{}()=",
    "anthropic.", "amazon.", "meta.", "zai.", "us.", "global.", "arn:aws:bedrock:", "us-east-1", ":123456789012:",
    "foundation-model/", "inference-profile/", "claude-", "-v1:0", "é", "☕"])


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(noise_alphabet, max_size=40).map("".join)))
def test_every_hit_is_a_valid_id_at_its_position(text: str) -> None:
    from bedrock_lifecycle.ids import ModelIdError, parse_model_id, unknown_geography

    lines = text.split("\n")
    for line, col, mid in scan_text(text):
        assert lines[line - 1][col - 1 : col - 1 + len(mid)] == mid
        try:
            parse_model_id(mid)
        except ModelIdError:
            assert unknown_geography(mid) is not None  # reported as an error, never as a model


# --------------------------------------------------------------------------- trees

TREE_FILES = {
    "app/main.py": f'MODEL = "{HAIKU3}"\n',
    "app/chat.ts": f"\n\nconst m = '{SONNET46}';\n",
    "src/main/java/App.java": f'class App {{ String id = "us.{SONNET45}"; }}\n',
    "cmd/main.go": f'package main\n\nconst model = "{JAMBA}"\n',
    "app/Model.kt": f'val model = "{SONNET46}"\n',
    "svc/Program.cs": f'var id = "{HAIKU3}";\n',
    "lib/model.rb": f"MODEL = '{SONNET46}'\n",
    "config.yaml": f"model: us.{SONNET46}\n",
    "settings.json": f'{{"modelId": "{SONNET45}"}}\n',
    "pyproject.toml": f'[tool.app]\nmodel = "{SONNET46}"\n',
    "infra/main.tf": f'resource "x" "y" {{\n  model_id = "{SONNET45}"\n}}\n',
    "infra/template.yaml": f"ModelId: !Sub arn:aws:bedrock:${{AWS::Region}}::foundation-model/{HAIKU3}\n",
    ".env": f"BEDROCK_MODEL={SONNET46}\n",
    "setup.cfg": f"[app]\nmodel_id = {SONNET46}\n",
    "README.md": f"Uses `{SONNET46}`; see https://docs.aws.amazon.com and anthropic.com.\n",
    "deploy.sh": f"aws bedrock-runtime converse --model-id {SONNET46}\n",
    "Dockerfile": f"FROM python:3.12\nENV MODEL_ID={SONNET46}\n",
    ".github/workflows/ci.yml": f"env:\n  MODEL: {SONNET46}\n",
}
SKIPPED_FILES = [
    ".git/config", ".hg/store/x", ".svn/entries", ".venv/lib/x.py", "venv/lib/x.py", "node_modules/pkg/index.js",
    "lib/python3.12/site-packages/pkg/x.py", "vendor/x.go", ".tox/py/x.py", "app/__pycache__/x.py", "dist/x.js",
    "build/x.js", ".mypy_cache/x.json", "cdk.out/x.template.json", ".terraform/modules/x.tf",
    "pkg.egg-info/PKG-INFO",
]


def make_tree(root: Path) -> None:
    for rel, body in TREE_FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(body)
    for rel in SKIPPED_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"m = '{HAIKU3}'\n")
    (root / "env" / "lib").mkdir(parents=True)  # a venv under any name: found by pyvenv.cfg
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / "env" / "lib" / "x.py").write_text(f"m = '{HAIKU3}'\n")
    (root / "logo.png").write_bytes(HAIKU3.encode())  # binary by extension
    (root / "blob.dat").write_bytes(b"\x89PNG\0\0" + HAIKU3.encode())  # binary by a NUL byte
    (root / "utf16.txt").write_text(HAIKU3, encoding="utf-16")  # NUL bytes: skipped as binary


def relative(root: Path, findings: list[Finding]) -> list[tuple[str, int, int, str]]:
    return [(Path(f.path).relative_to(root).as_posix(), f.line, f.column, f.model_id) for f in findings]


def test_tree_scan_finds_every_file_type_and_skips_the_rest(tmp_path: Path) -> None:
    make_tree(tmp_path)
    found = relative(tmp_path, list(scan_paths([tmp_path])))
    by_file = {path: mid for path, _, _, mid in found}
    expected = {rel: re.findall(r"((?:us\.)?(?:anthropic|ai21)\.[a-z0-9.:-]+[a-z0-9])", body)[0]
                for rel, body in TREE_FILES.items()}
    assert by_file == expected
    assert len(found) == len(TREE_FILES)
    assert [p for p, *_ in found] == sorted(p for p, *_ in found)  # the order of `find | sort`
    assert ("cmd/main.go", 3, 16, JAMBA) in found and ("app/chat.ts", 3, 12, SONNET46) in found
    assert ("infra/main.tf", 2, 15, SONNET45) in found


def test_iter_files_skips_dirs_binaries_and_symlinks(tmp_path: Path) -> None:
    make_tree(tmp_path)
    (tmp_path / "link.py").symlink_to(tmp_path / "app" / "main.py")
    (tmp_path / "linkdir").symlink_to(tmp_path / "app", target_is_directory=True)
    files = {p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])}
    assert files == set(TREE_FILES) | {"blob.dat", "utf16.txt"}  # binary content is sniffed at read time


def test_paths_named_explicitly_are_scanned_even_in_skipped_places(tmp_path: Path) -> None:
    make_tree(tmp_path)
    assert [f.model_id for f in scan_paths(str(tmp_path / "app" / "main.py"))] == [HAIKU3]  # one path, not a list
    nm = tmp_path / "node_modules"
    assert [f.model_id for f in scan_paths([nm])] == [HAIKU3]
    assert [f.model_id for f in scan_paths([nm / "pkg" / "index.js", tmp_path / "app" / "main.py"])] == [
        HAIKU3, HAIKU3]
    link = tmp_path / "link.py"
    link.symlink_to(tmp_path / "app" / "main.py")
    assert [f.path for f in scan_paths([link])] == [str(link)]


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        list(iter_files([tmp_path / "missing"]))


def test_exclude_globs(tmp_path: Path) -> None:
    make_tree(tmp_path)
    files = {p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path], exclude=["infra", "*.md", "app/*"])}
    assert not any(f.startswith(("infra/", "app/")) or f.endswith(".md") for f in files)
    assert "cmd/main.go" in files


def test_huge_files_are_skipped_in_a_walk_but_read_when_named(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_text("x\n" * 100 + f'"{HAIKU3}"' + " " * 200)
    assert [f.model_id for f in scan_file(big)] == [HAIKU3]
    walked = list(scan.scan_files(tmp_path, max_bytes=100))
    assert [(r.status, r.findings) for r in walked] == [("too-large", [])]
    assert "over the" in walked[0].note
    named = scan.scan_one(str(big), max_bytes=100)
    assert named.status == "scanned" and [(f.line, f.column) for f in named.findings] == [(101, 2)]
    assert "read in blocks" in named.note
    assert scan_file(tmp_path / "vanished.py") == []
    empty = tmp_path / "empty.py"
    empty.write_bytes(b"")
    assert scan_file(empty) == []


def test_large_named_file_read_in_blocks_keeps_positions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bedrock_lifecycle.toolkit.scan import files

    monkeypatch.setattr(files, "BLOCK_BYTES", 64)  # many blocks, IDs near every boundary
    body = "".join(f"{'y' * (i % 50)} m = '{HAIKU3}' ü\n" for i in range(200))
    f = tmp_path / "log.txt"
    f.write_text(body)
    blocks = scan.scan_one(str(f), max_bytes=10)
    assert blocks.findings == scan.scan_one(str(f)).findings
    assert len(blocks.findings) == 200


def test_nul_after_the_sniff_window_is_still_text(tmp_path: Path) -> None:
    f = tmp_path / "x.log"
    f.write_bytes(f"{HAIKU3}\n".encode() + b"x" * scan.BINARY_SNIFF_BYTES + b"\0")
    assert [x.model_id for x in scan_file(f)] == [HAIKU3]


# --------------------------------------------------------------------------- accuracy (issue 10 part 4)

ANSI = ["\x1b[32m", "\x1b[1;31m", "\x1b[0m", "\x1b[38;5;208m", "\x1b[38;2;255;100;100m", "\\u001b[38;2;255;100;100m", "\\033[1m", "\\x1b[32m", "\\u001b[0;32m", "\\e[1m"]


@pytest.mark.parametrize("esc", ANSI)
@pytest.mark.parametrize("form", [HAIKU3, f"us.{SONNET45}", "cohere.embed-english-v3:0:512",
                                  f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU3}", "ap.anthropic.claude-sonnet-4-6"])
def test_ids_right_after_ansi_escape_sequences(esc: str, form: str) -> None:
    assert ids(f"print('{esc}{form}\\x1b[0m')") == [form]
    assert ids(f"{esc}{form}") == [form]


def test_ansi_lookalikes_are_still_refused() -> None:
    assert ids("xm" + HAIKU3) == []  # a letter that does not end an escape sequence
    assert ids("[32m" + HAIKU3) == []  # no escape introducer


suffixes = st.one_of(st.from_regex(r"[0-9]{1,4}[km]", fullmatch=True), st.from_regex(r"[0-9]{1,4}", fullmatch=True),
                     st.just("mm"), st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True))
versioned = [m for m in REAL if re.search(r":[0-9]+$", m) and m.count(":") == 1]


@settings(max_examples=300, deadline=None)
@given(base=st.sampled_from(versioned), suffix=suffixes,
       wrap=st.sampled_from(["{}", "us.{}", "arn:aws:bedrock:us-west-2::foundation-model/{}",
                             f"arn:aws:bedrock:us-west-2:{ACCT}:inference-profile/eu.{{}}",
                             f"arn:aws:bedrock:us-west-2:{ACCT}:custom-model/{{}}/abcdef123456"]),
       syntax=st.sampled_from(SYNTAXES))
def test_every_variant_suffix_found_whole_with_its_base(base: str, suffix: str, wrap: str, syntax: str) -> None:
    from bedrock_lifecycle.ids import parse_model_id

    form = wrap.format(f"{base}:{suffix}")
    assert ids(syntax.format(form)) == [form]
    m = parse_model_id(form)
    assert (m.base_model_id, m.context_window) == (base, suffix)


def test_variant_suffixes_from_the_reference_data_and_the_service_docs() -> None:
    for form in ["amazon.titan-embed-text-v1:2:8k", "anthropic.claude-v2:1:200k", "anthropic.claude-v2:0:18k",
                 "cohere.embed-english-v3:0:512", "cohere.embed-multilingual-v3:0:512", "amazon.nova-premier-v1:0:mm",
                 "amazon.nova-premier-v1:0:1000k", "amazon.nova-pro-v1:0:300k", "amazon.nova-2-lite-v1:0:256k",
                 "cohere.command-light-text-v14:7:4k", "meta.llama2-13b-v1:0:4k"]:
        assert ids(f'modelId: "{form}"') == [form]


@pytest.mark.parametrize("kind", ["prompt/ABCDEFGHIJ", "prompt/ABCDEFGHIJ:12", "agent/ABCDEFGHIJ",
                                  "agent-alias/ABCDEFGHIJ/TSTALIASID", "flow/ABCDEFGHIJ", "flow/ABCDEFGHIJ/alias/X",
                                  "knowledge-base/ABCDEFGHIJ", "guardrail/abc123", "data-automation-project/x"])
def test_arns_that_carry_no_model_are_not_findings(kind: str) -> None:
    assert ids(f'"arn:aws:bedrock:us-east-1:{ACCT}:{kind}"') == []


@pytest.mark.parametrize("kind", sorted(scan.ARN_KINDS_REPORTED))
def test_every_model_carrying_arn_kind_is_a_finding(kind: str) -> None:
    res = {"foundation-model": HAIKU3, "inference-profile": f"us.{HAIKU3}",
           "custom-model": f"{HAIKU3}/abcdef123456", "prompt-router": "abcdef123456"}.get(kind, "abcdef123456")
    acct = "" if kind == "foundation-model" else ACCT
    arn = f"arn:aws:bedrock:us-east-1:{acct}:{kind}/{res}"
    assert ids(f"'{arn}'") == [arn]


@settings(max_examples=200, deadline=None)
@given(geo=st.from_regex(r"[a-z]{2,6}", fullmatch=True), model=st.sampled_from([HAIKU3, SONNET46, "amazon.nova-pro-v1:0"]))
def test_unknown_prefixes_are_found_as_written_never_as_the_base(geo: str, model: str) -> None:
    from bedrock_lifecycle.ids import KNOWN_PROVIDERS as PROVIDERS
    from bedrock_lifecycle.toolkit.scan.match import NOT_GEOGRAPHIES

    text = f'm = "{geo}.{model}"'
    if geo in KNOWN_GEOGRAPHIES:
        assert ids(text) == [f"{geo}.{model}"]
    elif geo in PROVIDERS or geo in NOT_GEOGRAPHIES:
        assert ids(text) == []  # an attribute chain, not an identifier
    else:
        assert ids(text) == [f"{geo}.{model}"]


ansi_sequences = st.builds(
    lambda intro, params, final: f"{intro}[{params}{final}",
    st.sampled_from(["\x1b", "\\033", "\\x1b", "\\x1B", "\\u001b", "\\e"]),
    st.from_regex(r"[0-9]{0,3}(;[0-9]{1,3}){0,4}", fullmatch=True),
    st.sampled_from(list("mKHJABCDGsu")),
)


@settings(max_examples=300, deadline=None)
@given(seqs=st.lists(ansi_sequences, min_size=1, max_size=3), model=st.sampled_from(FORMS),
       lead=st.sampled_from(["", "print('", "log: ", '"']))
def test_any_ansi_csi_sequence_before_an_id(seqs: list[str], model: str, lead: str) -> None:
    assert ids(lead + "".join(seqs) + model + "\x1b[0m") == [model]
