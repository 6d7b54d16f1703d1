"""The package's shape, as docs/architecture.md draws it, checked on every run.

- No import cycles between modules (imports inside functions count; ``TYPE_CHECKING``
  imports do not).
- The layer rule: a module imports only its own layer or lower; the L4 siblings
  (observe, migrate, toolkit, readiness) never import each other; ``testing/`` imports
  only ``ids`` and ``clock`` from the package.
- No file over 600 lines, no class over 250.
- No access to another object's private names (``x._name`` where ``x`` is not ``self``,
  ``cls``, ``type(self)`` or ``new``, a copy of the same class under construction); the
  library's own ``_bl_`` attributes on botocore objects and botocore's documented
  ``_make_api_call`` extension point are allowed.
- ``import bedrock_lifecycle`` loads neither boto3 nor pydantic; ``__all__`` is pinned.
- One definition each of the shared helpers the review found duplicated.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import bedrock_lifecycle

ROOT = Path(bedrock_lifecycle.__file__).parent
PKG = "bedrock_lifecycle"

LAYERS: list[tuple[int, tuple[str, ...]]] = [
    (0, ("ids", "clock", "regions", "util")),
    (1, ("errors", "lifecycle")),
    (2, ("config",)),
    (3, ("core",)),
    (4, ("observe", "migrate", "toolkit", "readiness")),
    (5, ("api", "aio", "installer", "interop", "fleet", "_typing")),
    (6, ("cli", "demo", "testing", "__main__", "__init__")),
]
SIBLINGS = {"observe", "migrate", "toolkit", "readiness"}


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join([PKG, *parts])] = path
    return out


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer(module: str) -> int:
    name = top(module)
    for level, names in LAYERS:
        if name in names:
            return level
    raise AssertionError(f"{module}: not placed in a layer (add it to LAYERS and docs/architecture.md)")


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    is_pkg = path.name == "__init__.py"
    base = module if is_pkg else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                mod = ".".join(anchor + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # ``from pkg import sub`` depends on the submodule; ``from pkg import name`` on pkg.
            names = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        for n in names:
            while n and n not in known:
                n = n.rpartition(".")[0]
            if n and n.startswith(PKG) and n != module and n != PKG:
                found.add(n)
    return found


MODS = modules()
GRAPH = {m: imports_of(m, p, set(MODS)) for m, p in MODS.items()}


def test_every_module_has_a_layer() -> None:
    for m in MODS:
        layer(m)


def test_no_import_cycles() -> None:
    # A package __init__ importing its own submodules is not a cycle of concern when the
    # submodule does not import the package back; Tarjan's SCC over the whole graph.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == []


def test_layer_rule() -> None:
    bad = []
    for m, deps in GRAPH.items():
        if top(m) == "__init__":
            continue
        for d in deps:
            if layer(d) > layer(m):
                bad.append(f"{m} (L{layer(m)}) imports {d} (L{layer(d)})")
            elif layer(d) == layer(m) == 4 and top(d) != top(m) and top(d) in SIBLINGS and top(m) in SIBLINGS:
                bad.append(f"{m} imports its sibling {d}")
    assert bad == []


def test_testing_imports_only_ids_and_clock() -> None:
    allowed = {f"{PKG}.ids", f"{PKG}.clock"}
    bad = [f"{m} imports {d}" for m, deps in GRAPH.items() if top(m) == "testing"
           for d in deps if top(d) != "testing" and d not in allowed]
    assert bad == []


def test_no_file_over_600_lines_and_no_class_over_250() -> None:
    big = []
    for m, p in MODS.items():
        lines = p.read_text().count("\n")
        if lines > 600:
            big.append(f"{m}: {lines} lines")
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ClassDef) and node.end_lineno and node.end_lineno - node.lineno + 1 > 250:
                big.append(f"{m}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert big == []


def test_no_access_to_another_objects_private_names() -> None:
    bad = []
    for m, p in MODS.items():
        for node in ast.walk(ast.parse(p.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            name = node.attr
            if not name.startswith("_") or name.startswith("__") or name.startswith("_bl_"):
                continue
            owner = node.value
            if name == "_make_api_call":
                continue  # botocore's documented extension point: the drop-in overrides it
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls", "new", "cfg", "sys", "os"):
                continue  # own state (``new``/``cfg``: an instance of the same class being built)
            if isinstance(owner, ast.Call) and ast.unparse(owner) == "type(self)":
                continue
            if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
                continue
            bad.append(f"{m}:{node.lineno}: .{name}")
    assert bad == []


def test_shared_helpers_are_defined_once() -> None:
    wanted = {"similarity", "describe", "describe_error", "NAMESPACE", "NO_ALIAS", "META_KEY"}
    where: dict[str, list[str]] = {n: [] for n in wanted}
    for m, p in MODS.items():
        for node in ast.parse(p.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in wanted:
                where[node.name].append(m)
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name) and t.id in wanted:
                        where[t.id].append(m)
    assert {n: ms for n, ms in where.items() if len(ms) > 1} == {}


def test_import_loads_neither_boto3_nor_pydantic() -> None:
    code = ("import sys, bedrock_lifecycle; bedrock_lifecycle.__all__; "
            "print(sorted(m for m in ('boto3', 'botocore', 'pydantic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


PINNED_ALL = [
    "__version__", "AttemptEvent", "CanaryRollbackWarning", "Config", "ConfigError", "LifecycleStatus",
    "ModelApproachingEOLWarning", "ModelEndOfLifeError", "ModelExtendedAccessError", "ModelExtendedAccessWarning",
    "ModelId", "ModelIdError", "ModelLegacyError", "ModelLegacyWarning", "ModelLifecycleError",
    "ModelLifecycleWarning", "Registry", "State", "UnknownModelError", "client", "concrete_model", "install",
    "lifecycle_metadata", "load_config", "parse_model_id", "reconfigure", "register_adapter", "reset_warnings",
    "routing_key", "subscribe", "uninstall", "wrap",
]


def test_public_names_are_pinned() -> None:
    # A change here is a change of the public API: update CHANGELOG.md in the same commit.
    assert sorted(bedrock_lifecycle.__all__) == sorted(PINNED_ALL)
    for name in bedrock_lifecycle.__all__:
        assert getattr(bedrock_lifecycle, name) is not None


@pytest.mark.parametrize("name", ["client", "wrap", "reconfigure", "routing_key", "subscribe", "Registry"])
def test_public_names_resolve_lazily(name: str) -> None:
    code = f"import bedrock_lifecycle as b; assert callable(b.{name}) or b.{name}"
    subprocess.run([sys.executable, "-c", code], check=True)
