"""``status``, ``check``, ``resolve`` and ``demo``: the configuration seen from the CLI.

They read the same configuration the client reads (``BEDROCK_LIFECYCLE_CONFIG`` and
``BEDROCK_LIFECYCLE_*`` variables) and the same registry, so CI sees what production will.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
from typing import Any

from bedrock_lifecycle.cli._common import (
    CliError,
    fmt_date,
    instant_arg,
    non_negative_int,
    print_json,
    print_table,
)
from bedrock_lifecycle.lifecycle.model import LifecycleStatus


def add_parser(sub: Any) -> None:
    p = sub.add_parser("status", help="every alias, its targets and weights, each target's lifecycle")
    _common(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("check", help="CI gate: exit 1 when a configured model is retiring")
    _common(p)
    p.add_argument("--within", type=non_negative_int, default=0, metavar="DAYS",
                   help="also fail when a model reaches EOL within DAYS (default 0)")
    p.add_argument("--guaranteed-for", type=non_negative_int, metavar="DAYS",
                   help="also fail when a model's earliest possible EOL is within DAYS (or unknown)")
    p.add_argument("--max-data-age", type=non_negative_int, metavar="DAYS",
                   help="also fail when the newest lifecycle fact (bundled or synced) is older than DAYS")
    p.add_argument("--trust", choices=["confirmed", "reported"],
                   help="'reported': dates known only from third-party notes fail too (default: [policy] trust)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("resolve", help="where a request for ALIAS would go now")
    p.add_argument("alias", metavar="ALIAS")
    p.add_argument("--key", help="routing key (sticky assignment), as with routing_key()")
    _common(p)
    p.set_defaults(func=cmd_resolve)

    p = sub.add_parser("demo", help="run the demo against an embedded local Bedrock")
    p.set_defaults(func=cmd_demo)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)")
    p.add_argument("--at", type=instant_arg, metavar="ISO8601", help="evaluate at this instant")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _context(args: argparse.Namespace) -> tuple[Any, Any, str, _dt.datetime]:
    from bedrock_lifecycle.config import sources
    from bedrock_lifecycle.core.state import build_registry
    from bedrock_lifecycle.errors import ConfigError

    try:
        config, _ = sources.initial(os.environ)  # a file or an SSM parameter, as the client reads it
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    now = args.at or config.now or _dt.datetime.now(_dt.timezone.utc)
    registry = build_registry(config)
    return config, registry, region, now


def _status_row(status: LifecycleStatus) -> dict[str, Any]:
    d = status.to_json()
    return {k: d[k] for k in ("model_id", "state", "legacy_date", "extended_access_date",
                              "eol_date", "days_to_eol", "replacements", "source", "confidence",
                              "evidence_date", "policy", "legacy_period_days", "earliest_eol")}


def _collect(config: Any, registry: Any, region: str, now: _dt.datetime) -> list[dict[str, Any]]:
    from bedrock_lifecycle.core.routing import weights_at

    out = []
    for name, alias in sorted(config.aliases.items()):
        weights = weights_at(alias, now)
        total = sum(weights) or 1.0
        targets = []
        for t, w in zip(alias.targets, weights, strict=True):
            row = _status_row(registry.lookup(t.model, region, now))
            row.update(role="target", weight=w, share=round(w / total, 4))
            targets.append(row)
        for m in alias.fallbacks:
            row = _status_row(registry.lookup(m, region, now))
            row.update(role="fallback", weight=None, share=None)
            targets.append(row)
        out.append({"alias": name, "kind": "alias", "targets": targets})
    for model, chain in sorted(config.chains.items()):
        rows = []
        for i, m in enumerate([model, *chain]):
            row = _status_row(registry.lookup(m, region, now))
            row.update(role="primary" if i == 0 else "fallback", weight=None, share=None)
            rows.append(row)
        out.append({"alias": model, "kind": "chain", "targets": rows})
    return out


def cmd_status(args: argparse.Namespace) -> int:
    config, registry, region, now = _context(args)
    data = _collect(config, registry, region, now)
    live = _live_metrics(config, data)
    if args.json:
        print_json({"region": region, "at": now.isoformat(), "config_version": config.version, "aliases": data,
                    "metrics": live, "rollbacks": config.rollbacks})
        return 0
    if not data and not live["aliases"]:
        print(f"No aliases or chains configured (set BEDROCK_LIFECYCLE_CONFIG or BEDROCK_LIFECYCLE_ALIAS_<NAME>). Region {region}.")
        return 0
    print(f"Region {region}, at {now.isoformat(timespec='seconds')}"
          + (f", configuration {config.version}" if config.version else ""))
    for rb in [*config.rollbacks, *live.get("rollbacks", [])][-5:]:
        where = "fleet" if rb.get("scope") == "fleet" else f"process {rb.get('pid')}"
        print(f"Rolled back ({where}): {rb.get('model')} of alias {rb.get('alias')!r} at {rb.get('at')}: {rb.get('reason')}")
    shown = bool(live["aliases"])  # metric columns only when some process reported
    rows = []
    for a in data:
        for t in a["targets"]:
            share = "-" if t["share"] is None else f"{t['share'] * 100:.0f}%"
            row = [a["alias"], t["role"], t["model_id"], share, t["state"] + _reported(t),
                   (t["eol_date"] or "-")[:10], _days(t["days_to_eol"]), _safe_until(t),
                   ", ".join(t["replacements"]) or "-"]
            if shown:
                row += _metric_cells(t["metrics"])
            rows.append(row)
    headers = ["alias", "role", "model", "share", "state", "eol", "days", "safe until", "replacement"]
    if rows:
        print_table(headers + (_METRIC_HEADERS if shown else []), rows)
    _print_data_age(config, now)
    if shown:
        n = len(live["processes"])
        print(f"\nLive metrics: {n} process(es) wrote snapshots in the last "
              f"{live['max_age_seconds'] / 60:.0f} min ({live['dir']}); errors include mid-stream errors, "
              "latency is of successful attempts.")
        other = live["unconfigured"]
        if other:
            print("\nOther traffic (not a configured alias target):")
            print_table(["alias", "model", *_METRIC_HEADERS],
                        [[o["alias"], o["model"], *_metric_cells(o["metrics"])] for o in other])
    return 0


_METRIC_HEADERS = ["calls", "errors", "fallbacks", "p50 ms", "p95 ms", "p99 ms"]


def _metric_cells(m: dict[str, Any] | None) -> list[str]:
    if not m:
        return ["-"] * len(_METRIC_HEADERS)
    lat = m["latency_ms"]
    errors = str(m["errors"]) + (f" ({m['error_rate'] * 100:.1f}%)" if m["error_rate"] else "")

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.0f}" if v >= 100 else f"{v:.1f}"

    return [str(m["calls"]), errors, str(m["fallbacks"]), ms(lat["p50"]), ms(lat["p95"]), ms(lat["p99"])]


def _live_metrics(config: Any, data: list[dict[str, Any]]) -> dict[str, Any]:
    """Metrics from the snapshot files of running processes (exporter ``file``), merged:
    each target row gets ``metrics`` (its alias and model's numbers, or None); traffic
    matching no row is listed under ``unconfigured``. A chain's models are the calls made
    with a model ID (alias ``(none)``)."""
    from bedrock_lifecycle.observe import metrics

    live = metrics.live_snapshot(config.registry.cache_dir)
    by_alias: dict[str, dict[str, Any]] = live["aliases"]
    used: set[tuple[str, str]] = set()
    for a in data:
        alias = a["alias"] if a["kind"] == "alias" else metrics.NO_ALIAS
        for t in a["targets"]:
            t["metrics"] = by_alias.get(alias, {}).get(t["model_id"])
            used.add((alias, t["model_id"]))
    live["unconfigured"] = [{"alias": alias, "model": model, "metrics": m}
                            for alias, models in sorted(by_alias.items())
                            for model, m in sorted(models.items()) if (alias, model) not in used]
    return live


def _reported(t: dict[str, Any]) -> str:
    return " (reported)" if t.get("confidence") == "reported" else ""


def _safe_until(t: dict[str, Any]) -> str:
    """'safe until at least' for an active model: its earliest possible EOL (guarantees.py)."""
    return (t.get("earliest_eol") or "-")[:10] if t["state"] == "active" else "-"


def _print_data_age(config: Any, now: _dt.datetime) -> Any:
    from bedrock_lifecycle.lifecycle.gates import data_age

    age = data_age(now, config.registry.cache_dir)
    print(age.line())
    if age.suggestion:
        print(age.suggestion)
    return age


def _days(d: int | None) -> str:
    return "-" if d is None else str(d)


def cmd_check(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.lifecycle.gates import data_age, data_age_problem, target_problem

    config, registry, region, now = _context(args)
    data = _collect(config, registry, region, now)
    trust = args.trust or config.policy.trust
    problems, notes = [], []
    for a in data:
        for t in a["targets"]:
            if t["role"] == "target" and not t["weight"]:
                continue  # a rolled-back or not-yet-ramped target takes no traffic
            why, note = target_problem(t, now, within=args.within, guaranteed_for=args.guaranteed_for, trust=trust)
            if note:
                notes.append(f"note: {a['alias']}: {t['model_id']}: {note}")
            if why:
                problems.append({"alias": a["alias"], "model_id": t["model_id"], "state": t["state"],
                                 "reason": why, "eol_date": t["eol_date"], "replacements": t["replacements"]})
    age = data_age(now, config.registry.cache_dir)
    stale = data_age_problem(age, args.max_data_age)
    if stale:
        problems.append({"alias": "-", "model_id": "-", "state": "-", "reason": stale, "eol_date": None,
                         "replacements": []})
    if args.json:
        print_json({"ok": not problems, "region": region, "at": now.isoformat(), "problems": problems,
                    "notes": notes, "data_age": age.to_json()})
    elif problems:
        print_table(["alias", "model", "problem", "eol", "replacement"],
                    [[p["alias"], p["model_id"], p["reason"], (p["eol_date"] or "-")[:10],
                      ", ".join(p["replacements"]) or "-"] for p in problems])
        print(f"\n{len(problems)} problem(s) with the configured models (region {region}).")
    else:
        n = sum(len(a["targets"]) for a in data)
        print(f"OK: {n} configured model(s) in {region}, none Legacy, in extended access, past EOL"
              + (f" or within {args.within} days of EOL." if args.within else "."))
    if not args.json:
        for line in [*notes, age.line(), *([age.suggestion] if age.suggestion else [])]:
            print(line)
    return 1 if problems else 0


def cmd_resolve(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.config import alias_key
    from bedrock_lifecycle.core.policy import Policy, decide
    from bedrock_lifecycle.core.routing import plan_alias

    config, registry, region, now = _context(args)
    found = config.alias(args.alias)
    if found is None:
        known = ", ".join(sorted(config.aliases)) or "none configured"
        raise CliError(f"no alias {args.alias!r} (aliases: {known})", 2)
    name, alias = found
    policy = Policy(**config.policy.model_dump())
    p = plan_alias(name, alias, now, args.key)
    candidates = []
    chosen = None
    for c in p.candidates:
        status = registry.lookup(c.model, region, now)
        d = decide(status, policy)
        candidates.append({"model_id": c.model, "role": c.role, "state": status.state.value,
                           "action": d.action.value, "reason": d.reason,
                           "eol_date": status.to_json()["eol_date"]})
        if chosen is None and d.proceeds:
            chosen = c.model
    weights = {t.model: w for t, w in zip(alias.targets, p.weights, strict=True)}
    result = {"alias": name, "key": args.key, "region": region, "at": now.isoformat(),
              "weights": weights, "model_id": chosen, "candidates": candidates,
              "sticky": args.key is not None, "alias_key": alias_key(name)}
    if args.json:
        print_json(result)
        return 0
    print(f"{name} -> {chosen or '(nothing: every candidate is refused)'}"
          + (f"  (key {args.key!r})" if args.key else "  (no key: weighted random, this is one draw)"))
    total = sum(weights.values()) or 1.0
    print("weights in force: " + ", ".join(f"{m} {w / total * 100:.0f}%" for m, w in weights.items()))
    print_table(["order", "model", "role", "state", "policy"],
                [[i + 1, c["model_id"], c["role"], c["state"], c["action"] + (f" ({c['reason']})" if c["reason"] else "")]
                 for i, c in enumerate(candidates)])
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.demo import main

    return main()


__all__ = ["add_parser", "fmt_date"]
