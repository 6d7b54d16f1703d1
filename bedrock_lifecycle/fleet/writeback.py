"""Writing fleet rollbacks back to the shared configuration in the document's own format.

The parameter's text is edited, not regenerated: a TOML document stays TOML with its
comments, key order and layout (through ``tomlkit``, a round-trip parser); a JSON document
stays JSON with its key order, indentation and separators. Only the values a rollback
changes are touched:

- the canary's weight becomes 0 in the alias's ``targets`` (a bare model string becomes
  ``{model = "...", weight = 0}``) and in every ``ramp`` step; a step (or the targets)
  left with no positive weight gives weight 1 to the first model, the baseline;
- a record of why is appended to ``rollbacks``.

The edited text is validated as a whole configuration before it is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping, MutableMapping, MutableSequence, Sequence
from dataclasses import dataclass, field
from typing import Any

from bedrock_lifecycle.config import alias_key
from bedrock_lifecycle.config.loading import parse_document
from bedrock_lifecycle.config.sources import Document, SourceError, build

log = logging.getLogger("bedrock_lifecycle")

TOML = "toml"
JSON = "json"


@dataclass(frozen=True, slots=True)
class Rollback:
    """One canary to take out of an alias, and the record explaining why."""

    alias: str
    model: str
    record: Mapping[str, Any] = field(default_factory=dict)


def detect_format(text: str) -> str:
    """``"json"`` when the document starts with ``{``, else ``"toml"``: the rule
    :func:`~bedrock_lifecycle.config.loading.parse_document` reads parameters by."""
    return JSON if text.lstrip("\ufeff \t\r\n").startswith("{") else TOML


def apply_rollbacks(text: str, rollbacks: Sequence[Rollback]) -> str:
    """``text`` with ``rollbacks`` applied, in the same format and style."""
    if detect_format(text) == JSON:
        return _apply_json(text, rollbacks)
    return _apply_toml(text, rollbacks)


# ------------------------------------------------------------------------------ editing


Table = Callable[[Mapping[str, Any]], Any]  # builds a target table of the document's kind


def zero_weight(doc: MutableMapping[str, Any], alias: str, model: str, table: Table) -> bool:
    """Set ``model``'s weight to 0 in ``alias``'s targets and ramp steps, in place; the
    baseline takes the traffic back where nothing would be left. False when the alias
    does not name the model."""
    aliases = doc.get("aliases")
    if not isinstance(aliases, MutableMapping):
        return False
    found = False
    for name, a in aliases.items():
        if alias_key(name) != alias_key(alias) or not isinstance(a, MutableMapping):
            continue
        targets = a.get("targets")
        if not isinstance(targets, MutableSequence) or not targets:
            continue
        idx = [i for i, t in enumerate(targets) if _model_of(t) == model]
        found = found or bool(idx)
        for i in idx:
            _set_weight(targets, i, 0, table)
        ramp = a.get("ramp")
        for step in ramp if isinstance(ramp, Sequence) else ():
            weights = step.get("weights") if isinstance(step, Mapping) else None
            if not isinstance(weights, MutableSequence) or not weights:
                continue
            for i in idx:
                if i < len(weights):
                    weights[i] = 0
            if not any(_positive(w) for w in weights):
                weights[0] = 1
        if not any(_positive(_weight_of(t)) for t in targets):
            _set_weight(targets, 0, 1, table)
    return found


def _model_of(target: Any) -> Any:
    if isinstance(target, str):
        return str(target)
    return target.get("model") if isinstance(target, Mapping) else None


def _weight_of(target: Any) -> Any:
    return target.get("weight", 1) if isinstance(target, Mapping) else 1


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and value > 0


def _set_weight(targets: MutableSequence[Any], i: int, weight: int, table: Table) -> None:
    t = targets[i]
    if isinstance(t, MutableMapping):
        t["weight"] = weight
    else:  # a bare model ID: becomes a table so it can carry the weight
        targets[i] = table({"model": str(t), "weight": weight})


# --------------------------------------------------------------------------------- JSON


def _apply_json(text: str, rollbacks: Sequence[Rollback]) -> str:
    doc = json.loads(text.lstrip("\ufeff"))  # dicts keep the document's key order
    for rb in rollbacks:
        zero_weight(doc, rb.alias, rb.model, dict)
        doc.setdefault("rollbacks", []).append(dict(rb.record))
    return _dump_json_like(doc, text)


def _dump_json_like(doc: Any, original: str) -> str:
    """``doc`` as JSON in ``original``'s style: its indentation (spaces or tabs, or one
    line), its separators, ASCII escapes if it was pure ASCII, its final newline."""
    body = original.strip()
    indent: str | None = None
    if "\n" in body:
        first = re.search(r"\n([ \t]+)\S", body)
        indent = first.group(1) if first else ""
    colon = re.search(r'"\s*:( ?)', body)
    key_sep = ":" + (colon.group(1) if colon else " ")
    if indent is None:
        comma = re.search(r",( ?)", body)
        item_sep = "," + (comma.group(1) if comma else " ")
    else:
        item_sep = ","
    out = json.dumps(doc, indent=indent, separators=(item_sep, key_sep), ensure_ascii=original.isascii())
    return out + ("\n" if original.endswith("\n") else "")


# --------------------------------------------------------------------------------- TOML


def _apply_toml(text: str, rollbacks: Sequence[Rollback]) -> str:
    import tomlkit  # only fleet write-back needs it

    doc = tomlkit.parse(text)

    def inline(values: Mapping[str, Any]) -> Any:
        t = tomlkit.inline_table()
        t.update(_toml_values(values))
        return t

    for rb in rollbacks:
        zero_weight(doc, rb.alias, rb.model, inline)
        record = tomlkit.table()
        record.update(_toml_values(rb.record))
        existing = doc.get("rollbacks")
        if existing is None:
            aot = tomlkit.aot()
            aot.append(record)
            doc["rollbacks"] = aot
        elif isinstance(existing, tomlkit.items.AoT):
            existing.append(record)
        elif isinstance(existing, MutableSequence):  # rollbacks = [ {...}, ... ]
            existing.append(inline(rb.record))
        else:
            raise ValueError(f"'rollbacks' is a {type(existing).__name__}, not a list of records")
    return tomlkit.dumps(doc)


def _toml_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}  # TOML has no null


# ------------------------------------------------------------------------- the parameter


class ParameterWriter:
    """Applies rollbacks to an SSM parameter's text (see the module docstring) and puts
    it back with the same type. ``source`` is a
    :class:`~bedrock_lifecycle.config.sources.SSMSource`.

    The text is read again just before writing, so an edit made since the analysis read
    the parameter is kept (SSM offers no conditional put: a write in the milliseconds
    between that read and the put would still be overwritten).
    """

    def __init__(self, source: Any) -> None:
        self.source = source

    def apply(self, rollbacks: Sequence[Rollback]) -> Document:
        """Write the rollbacks; returns the new version as a document."""
        name = self.source.name
        client = self.source.client()
        try:
            current = client.get_parameter(Name=self.source.parameter, WithDecryption=True)["Parameter"]
        except Exception as exc:
            raise SourceError(f"{name}: cannot read for write-back: {exc}") from None
        text = str(current.get("Value", ""))
        try:
            new_text = apply_rollbacks(text, rollbacks)
        except ValueError as exc:  # JSON or TOML that no longer parses, an odd 'rollbacks'
            raise SourceError(f"{name}: cannot write the rollback back: {exc}") from None
        data = parse_document(new_text.encode("utf-8"), name=name)
        build(Document(data, "write-back", name), None, {})  # never write an invalid version
        kind = current.get("Type", "String")
        extra = self._key_id(client) if kind == "SecureString" else {}
        try:
            put = client.put_parameter(Name=self.source.parameter, Value=new_text, Type=kind, Overwrite=True,
                                       **extra)
        except Exception as exc:
            raise SourceError(f"{name}: cannot write: {exc}") from None
        digest = hashlib.sha256(new_text.encode("utf-8")).hexdigest()[:12]
        version = self.source.version_of(str(put.get("Version")), digest)  # what fetch() will say
        # This process's clients see the new version now (else at their next poll).
        with contextlib.suppress(SourceError):
            self.source.fetch(fresh=True)
        return Document(data, version, name)

    def _key_id(self, client: Any) -> dict[str, str]:
        """The SecureString's KMS key, named again in the put so the parameter keeps it
        (``PutParameter`` without ``KeyId`` means the account's default key)."""
        try:
            found = client.describe_parameters(
                ParameterFilters=[{"Key": "Name", "Values": [self.source.parameter]}])["Parameters"]
        except Exception as exc:
            log.warning("bedrock-lifecycle: %s: cannot read its KMS key (ssm:DescribeParameters: %s); "
                        "writing without naming one", self.source.name, exc)
            return {}
        key = found[0].get("KeyId") if found else None
        return {"KeyId": key} if key else {}

