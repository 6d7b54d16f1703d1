"""Typed clients: with the boto3 bedrock-runtime stubs, mypy sees client() as a
BedrockRuntimeClient and wrap(c) as the type of c; wrong use is a mypy error."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bedrock_lifecycle import _typing

pytest.importorskip("mypy_boto3_bedrock_runtime")
pytest.importorskip("types_aiobotocore_bedrock_runtime")

GOOD = '''
import boto3
from mypy_boto3_bedrock_runtime import BedrockRuntimeClient
from mypy_boto3_bedrock_runtime.type_defs import ConverseResponseTypeDef, MessageTypeDef
from types_aiobotocore_bedrock_runtime import BedrockRuntimeClient as AioBedrockRuntimeClient
from types_aiobotocore_bedrock_runtime.type_defs import ConverseResponseTypeDef as AioConverseResponse
from types_aiobotocore_bedrock_runtime.type_defs import MessageTypeDef as AioMessage

import bedrock_lifecycle

MESSAGES: list[MessageTypeDef] = [{"role": "user", "content": [{"text": "hi"}]}]

c = bedrock_lifecycle.client(region_name="us-east-1")
reveal_type(c)
positional: BedrockRuntimeClient = bedrock_lifecycle.client("bedrock-runtime")
response: ConverseResponseTypeDef = c.converse(modelId="chat", messages=MESSAGES)
plain: BedrockRuntimeClient = boto3.client("bedrock-runtime")
wrapped = bedrock_lifecycle.wrap(plain, config={"aliases": {}})
reveal_type(wrapped)
meta = bedrock_lifecycle.lifecycle_metadata(response)
reveal_type(meta)


async def typed_async(aio: AioBedrockRuntimeClient) -> AioConverseResponse:
    wrapped_aio = bedrock_lifecycle.wrap(aio)
    reveal_type(wrapped_aio)
    asks: list[AioMessage] = [{"role": "user", "content": [{"text": "hi"}]}]
    return await wrapped_aio.converse(modelId="chat", messages=asks)
'''

BAD = '''
import bedrock_lifecycle

c = bedrock_lifecycle.client()
c.converse(modelId=1, messages=[])
c.no_such_operation()
bedrock_lifecycle.wrap(42)
bedrock_lifecycle.client("s3")
'''


def test_mypy_types_client_and_wrap(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(textwrap.dedent(GOOD))
    (tmp_path / "bad.py").write_text(textwrap.dedent(BAD))
    # The user's view: strict mypy on their code; the library is followed but not judged.
    # mypy_path: an editable install is an import hook, which mypy does not follow.
    package_root = Path(_typing.__file__).resolve().parents[1]
    (tmp_path / "mypy.ini").write_text(
        f"[mypy]\nstrict = True\nmypy_path = {package_root}\n\n"
        "[mypy-bedrock_lifecycle.*]\nfollow_imports = silent\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--cache-dir", ".mypy_cache",
         "--no-color-output", "--no-error-summary", "good.py", "bad.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    out = done.stdout + done.stderr
    good = [line for line in out.splitlines() if line.startswith("good.py")]
    assert [line for line in good if ": error:" in line] == [], out
    revealed = [line.split('Revealed type is ', 1)[1] for line in good if "Revealed type" in line]
    assert revealed == [
        '"mypy_boto3_bedrock_runtime.client.BedrockRuntimeClient"',
        '"mypy_boto3_bedrock_runtime.client.BedrockRuntimeClient"',
        '"dict[str, Any] | None"',
        '"types_aiobotocore_bedrock_runtime.client.BedrockRuntimeClient"',
    ], out
    bad = {int(m.group(1)): m.group(2) for m in re.finditer(r"^bad\.py:(\d+): error: (.*)$", out, re.M)}
    assert done.returncode == 1, out
    assert "modelId" in bad[5] and '"int"' in bad[5], out
    assert "no_such_operation" in bad[6], out
    assert '"wrap"' in bad[7] and '"int"' in bad[7], out
    assert '"client"' in bad[8] and "'s3'" in bad[8], out
