"""Body adapters registered in code and named by configuration (config/adapters.py).

The trust rule under test: a shared store (SSM) can name only functions the application
registered (or installed packages declared); an import path is refused from it whatever
else is set, and accepted from a local file, the environment or arguments only with the
opt-in. Every adapter is resolved when a version is loaded, so a bad one fails client
creation or a reload, never a request.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

import bedrock_lifecycle
from bedrock_lifecycle.api import runtime_of, wrap
from bedrock_lifecycle.config import Config, load_config
from bedrock_lifecycle.config.adapters import (
    ENTRY_POINT_GROUP,
    register_adapter,
    resolve_adapter,
    unregister_adapter,
)
from bedrock_lifecycle.config.appconfig import AppConfigSource
from bedrock_lifecycle.config.reload import ConfigReloadWarning, Reloader
from bedrock_lifecycle.config.sources import CachedSource
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.testing import LocalBedrock
from tests.adapters import anthropic_to_nova
from tests.helpers import HAIKU45, NOVA_LITE, NOVA_PRO, StaticRegistry

PARAM = "/adapters/bedrock-lifecycle"
BODY = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
                   "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]})


@pytest.fixture(autouse=True)
def _registered() -> Iterator[None]:
    register_adapter("to_nova", anthropic_to_nova, replace=True)
    CachedSource.clear_cache()
    yield
    unregister_adapter("to_nova")
    CachedSource.clear_cache()


def invoke_alias(adapter: str, *, opt_in: bool | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"aliases": {"chat": {"api": "invoke", "targets": [
        {"model": NOVA_PRO, "body_adapter": adapter}]}}}
    if opt_in is not None:
        doc["routing"] = {"allow_import_path_adapters": opt_in}
    return doc


def toml_alias(adapter: str, *, opt_in: bool = False) -> str:
    head = "[routing]\nallow_import_path_adapters = true\n" if opt_in else ""
    return head + f'[aliases.chat]\napi = "invoke"\ntargets = [{{ model = "{NOVA_PRO}", body_adapter = "{adapter}" }}]\n'


def file_env(local_bedrock: LocalBedrock, tmp_path: Path, text: str, **extra: str) -> dict[str, str]:
    path = tmp_path / "models.toml"
    path.write_text(text)
    return {**local_bedrock.env(), "BEDROCK_LIFECYCLE_CONFIG": str(path), "BEDROCK_LIFECYCLE_CONFIG_TTL": "60", **extra}


def make(local_bedrock: LocalBedrock, environ: dict[str, str], config: Any = None) -> Any:
    c = wrap(local_bedrock.runtime_client(), registry=StaticRegistry(), environ=environ, config=config)
    reloader = runtime_of(c).reloader
    if reloader is not None:
        reloader.stop()  # polls are driven by hand
    return c


def adapted(bedrock: LocalBedrock, c: Any) -> bool:
    c.invoke_model(modelId="chat", body=BODY)["body"].read()
    body = bedrock.requests[-1].body
    return bool(body.get("adapted_for") == NOVA_PRO and "anthropic_version" not in body)


# ------------------------------------------------------------------ names, from any source


def test_a_registered_name_in_a_file_converts_bodies_on_the_wire(bedrock: LocalBedrock, tmp_path: Path) -> None:
    c = make(bedrock, file_env(bedrock, tmp_path, toml_alias("to_nova")))
    assert adapted(bedrock, c)


def test_the_version_keeps_the_function_it_resolved(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {}, config=invoke_alias("to_nova"))
    register_adapter("to_nova", lambda body, model: body, replace=True)  # a later registration ...
    assert adapted(bedrock, c)  # ... changes nothing until a new version is loaded
    assert runtime_of(c).version.config.adapter("to_nova") is anthropic_to_nova


def test_a_missing_name_fails_client_creation_not_a_request(bedrock: LocalBedrock, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        make(bedrock, file_env(bedrock, tmp_path, toml_alias("claude_to_nova")))
    text = str(info.value)
    assert "models.toml: aliases.chat.targets.0.body_adapter: no adapter named 'claude_to_nova'" in text
    assert "register_adapter('claude_to_nova', fn)" in text and "registered: " in text
    assert bedrock.requests == []


def test_an_old_dotted_path_is_explained(bedrock: LocalBedrock) -> None:
    with pytest.raises(ConfigError, match=r"an import path is written 'tests.adapters:anthropic_to_nova'"):
        load_config(invoke_alias("tests.adapters.anthropic_to_nova"), environ={})


# ------------------------------------------------------------------ import paths: local opt-in only


def test_an_import_path_in_a_local_file_needs_the_opt_in(bedrock: LocalBedrock, tmp_path: Path) -> None:
    path = "tests.adapters:anthropic_to_nova"
    with pytest.raises(ConfigError, match=r"body_adapter: import path .* refused: import paths need the opt-in"):
        make(bedrock, file_env(bedrock, tmp_path, toml_alias(path)))
    c = make(bedrock, file_env(bedrock, tmp_path, toml_alias(path, opt_in=True)))
    assert adapted(bedrock, c)
    c = make(bedrock, file_env(bedrock, tmp_path, toml_alias(path), BEDROCK_LIFECYCLE_ALLOW_IMPORT_PATH_ADAPTERS="true"))
    assert adapted(bedrock, c)


def test_an_import_path_in_arguments_needs_the_opt_in(bedrock: LocalBedrock) -> None:
    path = "tests.adapters:anthropic_to_nova"
    with pytest.raises(ConfigError, match=r"config= argument: aliases.chat.targets.0.body_adapter: import path"):
        make(bedrock, {}, config=invoke_alias(path))
    with pytest.raises(ConfigError, match=r"Config\(\.\.\.\): aliases.chat.targets.0.body_adapter: import path"):
        Config(**invoke_alias(path))
    assert Config(**invoke_alias(path, opt_in=True)).adapter(path) is anthropic_to_nova
    c = make(bedrock, {}, config=invoke_alias(path, opt_in=True))
    assert adapted(bedrock, c)


def test_an_opted_in_import_path_that_does_not_import_fails_at_load(bedrock: LocalBedrock) -> None:
    with pytest.raises(ConfigError, match=r"cannot import adapter 'no_such_pkg.mod:fn': ModuleNotFoundError"):
        make(bedrock, {}, config=invoke_alias("no_such_pkg.mod:fn", opt_in=True))
    with pytest.raises(ConfigError, match=r"'json:__name__' is a str, not a function"):
        make(bedrock, {}, config=invoke_alias("json:__name__", opt_in=True))


# ------------------------------------------------------------------ remote sources (SSM over moto)


@pytest.fixture
def ssm_env(moto_url: str, local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {**local_bedrock.env(), "AWS_ENDPOINT_URL_SSM": moto_url, "AWS_REGION": "us-east-1"}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return {**values, "BEDROCK_LIFECYCLE_CONFIG": f"ssm:{PARAM}", "BEDROCK_LIFECYCLE_CONFIG_TTL": "60"}


def put(doc: dict[str, Any]) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=PARAM, Value=json.dumps(doc), Type="String", Overwrite=True)


@pytest.mark.parametrize("adapter", ["logging:critical", "this:__name__", "tests.adapters:anthropic_to_nova"])
def test_ssm_can_never_name_an_import_path(bedrock: LocalBedrock, ssm_env: dict[str, str], adapter: str) -> None:
    had_this = "this" in sys.modules
    put(invoke_alias(adapter))
    for environ in (ssm_env, {**ssm_env, "BEDROCK_LIFECYCLE_ALLOW_IMPORT_PATH_ADAPTERS": "true"}):
        CachedSource.clear_cache()
        with pytest.raises(ConfigError) as info:
            make(bedrock, environ)
        text = str(info.value)
        assert f"SSM parameter {PARAM}: aliases.chat.targets.0.body_adapter: import path {adapter!r} refused" in text
        assert "register_adapter" in text
    assert ("this" in sys.modules) == had_this  # nothing was imported
    assert bedrock.requests == []


def test_appconfig_can_never_name_an_import_path(bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in bedrock.env().items():
        monkeypatch.setenv(k, v)
    AppConfigSource.forget_sessions()
    bedrock.deploy_appconfig("shop", "prod", "bl-adapters", invoke_alias("logging:critical"))
    env = {**bedrock.env(), "BEDROCK_LIFECYCLE_CONFIG": "appconfig:shop/prod/bl-adapters",
           "BEDROCK_LIFECYCLE_ALLOW_IMPORT_PATH_ADAPTERS": "true"}
    try:
        with pytest.raises(ConfigError, match=r"AppConfig shop/prod/bl-adapters: aliases.chat.targets.0.body_adapter: "
                                              r"import path 'logging:critical' refused: an AppConfig configuration"):
            make(bedrock, env)
        bedrock.deploy_appconfig("shop", "prod", "bl-adapters", invoke_alias("to_nova", opt_in=True))
        AppConfigSource.forget_sessions()
        with pytest.raises(ConfigError, match=r"routing.allow_import_path_adapters: may be set only locally"):
            make(bedrock, env)
    finally:
        AppConfigSource.forget_sessions()


def test_ssm_cannot_grant_itself_the_opt_in(bedrock: LocalBedrock, ssm_env: dict[str, str]) -> None:
    put(invoke_alias("to_nova", opt_in=True))
    with pytest.raises(ConfigError, match=rf"SSM parameter {PARAM}: routing.allow_import_path_adapters: may be set only locally"):
        make(bedrock, ssm_env)


def test_ssm_names_registered_adapters_and_a_bad_reload_is_rejected(bedrock: LocalBedrock, ssm_env: dict[str, str]) -> None:
    put(invoke_alias("to_nova"))
    c = make(bedrock, ssm_env)
    assert adapted(bedrock, c)
    reloader: Reloader[Any] = runtime_of(c).reloader
    good = reloader.version
    for bad in ("logging:critical", "not_registered"):
        put(invoke_alias(bad))
        CachedSource.clear_cache()
        with pytest.warns(ConfigReloadWarning, match=rf"rejected, keeping {good}: .*body_adapter"):
            assert reloader.check() is False
        assert runtime_of(c).version.config.version == good
        assert adapted(bedrock, c)
    put({"aliases": {"chat": {"targets": [NOVA_LITE]}}})
    CachedSource.clear_cache()
    assert reloader.check() is True


# ------------------------------------------------------------------ entry points and the registry API


def test_an_installed_package_declares_adapters_by_entry_point(
    bedrock: LocalBedrock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "bl_plugin_fixture"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from tests.adapters import anthropic_to_nova as to_nova\n")
    dist = tmp_path / "bl_plugin_fixture-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bl-plugin-fixture\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nplugin_to_nova = bl_plugin_fixture:to_nova\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        fn = resolve_adapter("plugin_to_nova", source_kind="ssm", allow_import_paths=False)
        assert fn is anthropic_to_nova
        c = make(bedrock, {}, config=invoke_alias("plugin_to_nova"))
        assert adapted(bedrock, c)
    finally:
        unregister_adapter("plugin_to_nova")
        sys.modules.pop("bl_plugin_fixture", None)


def test_register_adapter_api() -> None:
    assert bedrock_lifecycle.register_adapter is register_adapter
    assert "register_adapter" in bedrock_lifecycle.__all__

    @register_adapter("decorated")
    def decorated(body: Any, model: str) -> Any:
        return body

    try:
        assert resolve_adapter("decorated", source_kind="ssm", allow_import_paths=False) is decorated
        with pytest.raises(ValueError, match="already registered"):
            register_adapter("decorated", anthropic_to_nova)
        register_adapter("decorated", decorated)  # the same function again is fine
        for bad in ("pkg.mod:fn", "", "has space", "9lives"):
            with pytest.raises(ValueError, match="adapter name"):
                register_adapter(bad, decorated)
        with pytest.raises(TypeError, match="expected a callable"):
            register_adapter("not_callable", 42)
    finally:
        unregister_adapter("decorated")


@pytest.mark.parametrize("kind", ["ssm", "appconfig", "s3", "anything-new"])
def test_every_kind_not_known_to_be_local_is_remote(kind: str) -> None:
    with pytest.raises(ConfigError, match="refused"):
        resolve_adapter("tests.adapters:anthropic_to_nova", source_kind=kind, allow_import_paths=True)


def test_mixed_families_still_need_an_adapter_per_target() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg = load_config({"aliases": {"chat": {"api": "invoke", "targets": [
            HAIKU45, {"model": NOVA_PRO, "body_adapter": "to_nova"}]}}}, environ={})
    assert cfg.adapter("to_nova") is anthropic_to_nova
    with pytest.raises(ConfigError, match="body_adapter"):
        load_config({"aliases": {"chat": {"api": "invoke", "targets": [HAIKU45, NOVA_PRO]}}}, environ={})


def test_every_way_of_building_a_config_resolves_its_adapters() -> None:
    doc = invoke_alias("to_nova")
    for cfg in (Config(**doc), Config.model_validate(doc), Config.model_validate_json(json.dumps(doc)),
                load_config(doc, environ={})):
        assert cfg.adapter("to_nova") is anthropic_to_nova
        assert cfg.model_copy(update={"version": "v9"}).adapter("to_nova") is anthropic_to_nova
    with pytest.raises(ConfigError, match=r"aliases.chat.targets.0.body_adapter: no adapter named 'nope'"):
        Config.model_validate_json(json.dumps(invoke_alias("nope")))
    with pytest.raises(ConfigError, match=r"Config.model_validate_json: nested"):
        Config.model_validate_json("[" * 10_000 + "]" * 10_000)
    with pytest.raises(ConfigError, match="was not resolved"):
        Config.model_construct(**doc).adapter("to_nova")


def test_model_validate_strings_is_a_config_entry_like_the_others() -> None:
    """pydantic's string-mode validation: coerced leaves, and the same ConfigError (key path,
    value), depth limit and adapter resolution as model_validate."""
    cfg = Config.model_validate_strings({"routing": {"max_attempts_per_target": "2"}, **invoke_alias("to_nova")})
    assert cfg.routing.max_attempts_per_target == 2
    assert cfg.adapter("to_nova") is anthropic_to_nova
    with pytest.raises(ConfigError, match=r"routing.max_attempts_per_target: .*'many'"):
        Config.model_validate_strings({"routing": {"max_attempts_per_target": "many"}})
    with pytest.raises(ConfigError, match=r"aliases.chat.targets.0.body_adapter: no adapter named 'nope'"):
        Config.model_validate_strings(invoke_alias("nope"))
    deep: dict[str, object] = {}
    cur = deep
    for _ in range(100):
        cur["a"] = {}
        cur = cur["a"]  # type: ignore[assignment]
    with pytest.raises(ConfigError, match=r"Config.model_validate_strings: nested"):
        Config.model_validate_strings({"aliases": deep})
