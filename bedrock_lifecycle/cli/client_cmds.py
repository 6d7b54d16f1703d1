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
    USAGE,
    CliError,
    add_command,
    env_region,
    fmt_date,
    instant_arg,
    non_negative_int,
    plural,
    print_json,
    print_table,
    region_arg,
    replacement_text,
)
from bedrock_lifecycle.lifecycle.model import LifecycleStatus

_READS = ("It reads the configuration the client reads (BEDROCK_LIFECYCLE_CONFIG: a file or "
          "ssm:/parameter, and BEDROCK_LIFECYCLE_* variables) and the same lifecycle data.")


def add_parser(sub: Any) -> None:
    p = add_command(
        sub, "status", help="every alias, its targets and weights, each target's lifecycle",
        description="Every configured alias and chain: its targets with the weights in force at --at "
        "(ramp steps included), fallbacks and shadow models, each with its lifecycle state, EOL date, "
        "days left and replacement, and live metrics when running processes write snapshots. "
        "Informational: it exits 0 whatever the states; use 'check' as the CI gate.\n\n" + _READS,
        examples=["bedrock-lifecycle status", "bedrock-lifecycle status --at 2027-01-01 --within 90",
                  "bedrock-lifecycle status --region eu-west-1 --json"],
        exit_codes=[(0, "the status was shown (whatever the states: status is informational)"), USAGE])
    _common(p)
    _within(p, "mark models that reach EOL within DAYS of --at (default 0: none)")
    p.set_defaults(func=cmd_status)

    p = add_command(
        sub, "check", help="CI gate: exit 1 when a configured model is retiring",
        description="The CI gate of a configuration: fails when any model it can send to (targets at "
        "any weight, future ramp steps, fallbacks, chains, shadow models) is Legacy, in extended "
        "access or past EOL at --at, or reaches EOL within --within days, or when the client would "
        "refuse the configuration. No configuration at all is a usage error (--allow-empty to "
        "accept it).\n\n" + _READS + " It prints where it read the configuration from.",
        examples=["bedrock-lifecycle check", "bedrock-lifecycle check --within 90 --strict",
                  "bedrock-lifecycle check --at 2027-01-01 --region us-west-2 --json"],
        exit_codes=[(0, "every configured model passes"),
                    (1, "a configured model is Legacy, in extended access, past EOL, within --within "
                        "days of EOL (--strict: also unknown; --fail-on-price-change: entering extended "
                        "access), or the client would refuse it"),
                    (2, "usage error: a bad argument or region, an invalid configuration, or none found")])
    _common(p)
    p.add_argument("--allow-empty", action="store_true",
                   help="pass when no configuration is found (default: exit 2, a missing config is an error)")
    p.add_argument("--strict", action="store_true", help="also fail on models whose lifecycle is unknown")
    _within(p, "also fail when a model reaches EOL within DAYS of --at (default 0: the state at --at alone)")
    p.add_argument("--guaranteed-for", type=non_negative_int, metavar="DAYS",
                   help="also fail when a model's earliest possible EOL is within DAYS (or unknown)")
    p.add_argument("--max-data-age", type=non_negative_int, metavar="DAYS",
                   help="also fail when the newest lifecycle fact (bundled or synced) is older than DAYS")
    p.add_argument("--trust", choices=["confirmed", "reported"],
                   help="'reported': dates known only from third-party notes fail too (default: [policy] trust)")
    p.add_argument("--fail-on-price-change", action="store_true",
                   help="also fail when a configured model is in, or enters within warn_before_eol_days, public "
                        "extended access (on-demand prices may change from that date)")
    p.set_defaults(func=cmd_check)

    p = add_command(
        sub, "resolve", help="where a request for ALIAS (or a model ID) goes, decided as the client decides",
        description="Where a request for ALIAS_OR_MODEL goes, decided by the client's own planner and "
        "policy gate without sending anything: the weights in force at --at, the order of candidates "
        "(sticky with --key), and what the gate does with each (send, warn, skip, refuse).\n\n" + _READS,
        examples=["bedrock-lifecycle resolve chat", "bedrock-lifecycle resolve chat --key user-42 --at 2026-12-15",
                  "bedrock-lifecycle resolve anthropic.claude-3-haiku-20240307-v1:0 --json"],
        exit_codes=[(0, "the request would be sent to a model"),
                    (1, "the request would be refused (every candidate refused, or the client refuses the "
                        "configuration)"), USAGE])
    p.add_argument("alias", metavar="ALIAS_OR_MODEL")
    p.add_argument("--key", help="routing key (sticky assignment), as with routing_key()")
    _common(p)
    p.set_defaults(func=cmd_resolve)

    p = add_command(
        sub, "demo", help="run the demo against an embedded local Bedrock",
        description="A guided tour against a local Bedrock started in this process (no AWS account, "
        "no network): an alias, a Legacy warning, an EOL model refused before any call, a canary "
        "split, sticky routing, a throttled primary falling back, a side-by-side comparison and a "
        "canary rolled back.",
        examples=["bedrock-lifecycle demo", "BEDROCK_LIFECYCLE_NOW=2027-01-01 bedrock-lifecycle demo"],
        exit_codes=[(0, "the demo ran to the end")])
    p.set_defaults(func=cmd_demo)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", type=region_arg, help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)")
    p.add_argument("--at", type=instant_arg, metavar="ISO8601",
                   help="evaluate at this instant (default: now, or BEDROCK_LIFECYCLE_NOW)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _within(p: argparse.ArgumentParser, text: str) -> None:
    p.add_argument("--within", type=non_negative_int, default=0, metavar="DAYS", help=text)


class Context:
    """What the CLI commands share with the client: the configuration as the client reads
    it, the region, the instant, and a configuration :class:`~bedrock_lifecycle.core.state.Version`
    (the same planner, policy gate and registry the client builds)."""

    def __init__(self, config: Any, version: Any, region: str, now: _dt.datetime, sources: list[str]) -> None:
        self.config = config
        self.version = version
        self.registry = version.registry
        self.region = region
        self.now = now
        self.sources = sources


def region_of(args: argparse.Namespace) -> str:
    """``--region``, else ``AWS_REGION``, ``AWS_DEFAULT_REGION``, else us-east-1; a name that
    is no region of any AWS partition is a usage error naming where it came from."""
    return str(args.region or env_region() or "us-east-1")


def config_sources(environ: Any) -> list[str]:
    """Where the configuration was read from, for the user to see."""
    from bedrock_lifecycle.config import ENV_CONFIG, ENV_PREFIX

    out = []
    if environ.get(ENV_CONFIG):
        out.append(f"{ENV_CONFIG}={environ[ENV_CONFIG]}")
    names = sorted(k for k in environ if k.startswith(ENV_PREFIX) and k != ENV_CONFIG)
    if names:
        out.append("environment: " + ", ".join(names))
    return out


def _context(args: argparse.Namespace) -> Context:
    from bedrock_lifecycle.config import sources
    from bedrock_lifecycle.core.state import Version
    from bedrock_lifecycle.errors import ConfigError

    region = region_of(args)
    try:
        config, _ = sources.initial(os.environ)  # a file or an SSM parameter, as the client reads it
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None
    now = args.at or config.now or _dt.datetime.now(_dt.timezone.utc)
    version = Version(config, region=region, model_ops={}, clock=lambda: now)
    return Context(config, version, region, now, config_sources(os.environ))


def _status_row(status: LifecycleStatus) -> dict[str, Any]:
    d = status.to_json()
    return {k: d[k] for k in ("model_id", "state", "legacy_date", "extended_access_date",
                              "eol_date", "days_to_eol", "replacements", "suggested_replacements", "source", "confidence",
                              "evidence_date", "policy", "legacy_period_days", "earliest_eol")}


def _collect(ctx: Context) -> list[dict[str, Any]]:
    """Every alias and chain with each model's lifecycle; weights as the client's planner
    has them in force at ``ctx.now`` (ramp steps included)."""
    config, registry, region, now = ctx.config, ctx.registry, ctx.region, ctx.now
    out = []
    for name, alias in sorted(config.aliases.items()):
        compiled = ctx.version.planner.compiled(name)
        weights = compiled.weights(now)
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
        future = {m for step in alias.ramp if step.at > now
                  for m, w in zip([t.model for t in alias.targets], step.weights, strict=True) if w > 0}
        for row in targets:
            row["ramped_later"] = row["role"] == "target" and not row["weight"] and row["model_id"] in future
        if alias.shadow is not None:
            row = _status_row(registry.lookup(alias.shadow.model, region, now))
            row.update(role="shadow", weight=None, share=None, ramped_later=False)
            targets.append(row)
        out.append({"alias": name, "kind": "alias", "targets": targets})
    for model, chain in sorted(config.chains.items()):
        rows = []
        for i, m in enumerate([model, *chain]):
            row = _status_row(registry.lookup(m, region, now))
            row.update(role="primary" if i == 0 else "fallback", weight=None, share=None, ramped_later=False)
            rows.append(row)
        out.append({"alias": model, "kind": "chain", "targets": rows})
    return out


def _judge(data: list[dict[str, Any]], ctx: Context, *, within: int, strict: bool = False,
           guaranteed_for: int | None = None, trust: str | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """The gate of ``check`` over the rows of :func:`_collect`: (problems, notes). Each row gets
    ``problem`` (why it fails, or None) and ``eol_within`` (EOL within ``within`` days), so
    ``status`` shows exactly what ``check`` would fail on."""
    from bedrock_lifecycle.lifecycle.eol import eol_within
    from bedrock_lifecycle.lifecycle.gates import target_problem

    trust = trust or ctx.config.policy.trust
    problems, notes = [], []
    for a in data:
        for t in a["targets"]:
            eol = _dt.datetime.fromisoformat(t["eol_date"].replace("Z", "+00:00")) if t["eol_date"] else None
            t["eol_within"] = eol is not None and eol > ctx.now and eol_within(eol, ctx.now, within)
            why, note = target_problem(t, ctx.now, within=within, guaranteed_for=guaranteed_for, trust=trust)
            if why is None and strict and t["state"] == "unknown":
                why = f"unknown lifecycle in {ctx.region} (--strict)"
            t["problem"] = why
            if note:
                notes.append(f"note: {a['alias']}: {t['model_id']}: {note}")
            if why:
                role = t["role"] + (" (weight 0)" if t["role"] == "target" and not t["weight"] else "")
                problems.append({"alias": a["alias"], "model_id": t["model_id"], "state": t["state"], "role": role,
                                 "reason": why, "eol_date": t["eol_date"], "replacements": t["replacements"],
                                 "replacement": replacement_text(t["replacements"], t.get("suggested_replacements") or [])})
    return problems, notes


def cmd_status(args: argparse.Namespace) -> int:
    ctx = _context(args)
    config, region, now = ctx.config, ctx.region, ctx.now
    data = _collect(ctx)
    problems, _ = _judge(data, ctx, within=args.within)
    live = _live_metrics(config, data)
    if args.json:
        from bedrock_lifecycle.lifecycle.gates import data_age

        print_json({"region": region, "at": now.isoformat(), "within_days": args.within,
                    "config_version": config.version, "aliases": data, "metrics": live, "rollbacks": config.rollbacks,
                    "data_age": data_age(now, config.registry.cache_dir).to_json()})
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
                   (t["eol_date"] or "-")[:10], _days(t["days_to_eol"]) + ("*" if t["eol_within"] else ""),
                   _safe_until(t),
                   replacement_text(t["replacements"], t.get("suggested_replacements") or [])]
            if shown:
                row += _metric_cells(t["metrics"])
            rows.append(row)
    headers = ["alias", "role", "model", "share", "state", "eol", "days", "safe until", "replacement"]
    if rows:
        print_table(headers + (_METRIC_HEADERS if shown else []), rows)
    if any(t["eol_within"] for a in data for t in a["targets"]):
        print(f"* reaches end of life within {plural(args.within, 'day')} of {now.date().isoformat()} (--within)")
    for a, t, why in price_changes(data, now, config.policy.warn_before_eol_days):
        print(f"Price change: alias {a['alias']!r}: {t['model_id']} {why}{_spend_share(a, t)}. Provisioned "
              "throughput and private pricing keep their terms.")
    if problems:  # informational (exit 0), but never silent about what 'check' fails on
        print(f"\n{plural(len(problems), 'model')} would fail 'bedrock-lifecycle check':")
        for p in problems:
            print(f"  {p['alias']}: {p['model_id']} ({p['role']}): {p['reason']}; replacement: {p['replacement']}")
    _print_data_age(config, now)
    if shown:
        n = len(live["processes"])
        print(f"\nLive metrics: {plural(n, 'process', 'processes')} wrote snapshots in the last "
              f"{live['max_age_seconds'] / 60:.0f} min ({live['dir']}); errors include mid-stream errors, "
              "latency is of successful attempts.")
        other = live["unconfigured"]
        if other:
            print("\nOther traffic (not a configured alias target):")
            print_table(["alias", "model", *_METRIC_HEADERS],
                        [[o["alias"], o["model"], *_metric_cells(o["metrics"])] for o in other])
    return 0


_METRIC_HEADERS = ["calls", "errors", "fallbacks", "p50 ms", "p95 ms", "p99 ms", "est. cost"]


def _metric_cells(m: dict[str, Any] | None) -> list[str]:
    if not m:
        return ["-"] * len(_METRIC_HEADERS)
    lat = m["latency_ms"]
    errors = str(m["errors"]) + (f" ({m['error_rate'] * 100:.1f}%)" if m["error_rate"] else "")

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.0f}" if v >= 100 else f"{v:.1f}"

    cost = m.get("estimated_cost_usd")
    # Unknown price: "?" (never $0); some calls unpriced: the sum is a lower bound ("≥").
    cost_cell = "?" if cost is None else ("≥" if m.get("unpriced") else "") + f"${cost:,.4f}"
    return [str(m["calls"]), errors, str(m["fallbacks"]), ms(lat["p50"]), ms(lat["p95"]), ms(lat["p99"]), cost_cell]


def _live_metrics(config: Any, data: list[dict[str, Any]]) -> dict[str, Any]:
    """Metrics from the snapshot files of running processes (exporter ``file``), merged:
    each target row gets ``metrics`` (its alias and model's numbers, or None); traffic
    matching no row is listed under ``unconfigured``. A chain's models are the calls made
    with a model ID (alias ``(none)``)."""
    from bedrock_lifecycle.observe import metrics
    from bedrock_lifecycle.observe.names import NO_ALIAS

    live = metrics.live_snapshot(config.registry.cache_dir)
    by_alias: dict[str, dict[str, Any]] = live["aliases"]
    used: set[tuple[str, str]] = set()
    for a in data:
        alias = a["alias"] if a["kind"] == "alias" else NO_ALIAS
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


def price_changes(data: list[dict[str, Any]], now: _dt.datetime, within_days: int) -> list[tuple[Any, Any, str]]:
    """(alias row, target row, why) for every configured model in public extended access, or
    entering it within ``within_days``: on-demand prices may change from that date."""
    out = []
    for a in data:
        for t in a["targets"]:
            ea = t.get("extended_access_date")
            if not ea or t["state"] == "eol":
                continue
            at = _dt.datetime.fromisoformat(ea)
            if at <= now:
                out.append((a, t, f"is in public extended access since {ea[:10]}: on-demand prices may change"))
            elif (at - now).days <= within_days:
                out.append((a, t, f"enters public extended access on {ea[:10]} ({(at - now).days} days): "
                                  "on-demand prices may change from then"))
    return out


def _spend_share(a: dict[str, Any], t: dict[str, Any]) -> str:
    """'; it carries 20% of the alias's traffic and $1.23 (15%) of its estimated spend'."""
    parts = []
    if t.get("share") is not None:
        parts.append(f"{t['share'] * 100:.0f}% of the alias's traffic")
    m = t.get("metrics") or {}
    cost = m.get("estimated_cost_usd")
    total = sum((x.get("metrics") or {}).get("estimated_cost_usd") or 0.0 for x in a["targets"])
    if cost is not None and total > 0:
        parts.append(f"${cost:,.2f} ({cost / total * 100:.0f}%) of its estimated spend in live metrics")
    return "; it carries " + " and ".join(parts) if parts else ""


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
    """Fail (exit 1) on every model the configuration can send to that is Legacy, in
    extended access, past EOL or (with --within) close to it; exit 2 when there is no
    configuration at all. The client's own creation rule (core.gate.target_problems)
    is applied too, so check fails whenever the client would refuse the configuration."""
    from bedrock_lifecycle.core.gate import target_problems
    from bedrock_lifecycle.lifecycle.gates import data_age, data_age_problem

    ctx = _context(args)
    config, region, now = ctx.config, ctx.region, ctx.now
    read = "; ".join(ctx.sources) or "nothing"
    if not config.aliases and not config.chains and not args.allow_empty:
        raise CliError(
            "no configuration found: BEDROCK_LIFECYCLE_CONFIG is not set and no BEDROCK_LIFECYCLE_ALIAS_<NAME> "
            f"variables (read: {read}); a gate with nothing to check would pass falsely "
            "(use --allow-empty to accept)", 2)
    data = _collect(ctx)
    problems, notes = _judge(data, ctx, within=args.within, strict=args.strict,
                             guaranteed_for=args.guaranteed_for, trust=args.trust)
    if args.fail_on_price_change:
        for a, t, why in price_changes(data, now, config.policy.warn_before_eol_days):
            problems.append({"alias": a["alias"], "model_id": t["model_id"], "state": t["state"], "role": t["role"],
                             "reason": why, "eol_date": t["eol_date"], "replacements": t["replacements"],
                             "replacement": replacement_text(t["replacements"], t.get("suggested_replacements") or [])})
    refused = target_problems(config, ctx.registry, region, now)
    for why in refused:
        # A refusal about a model already listed is that row's explanation, not a second problem.
        row = next((p for p in problems if f": {p['model_id']} " in why and "client_refuses" not in p), None)
        if row is not None:
            row["client_refuses"] = why
            continue
        problems.append({"alias": "-", "model_id": "-", "state": "-", "role": "-", "reason": f"client refuses: {why}",
                         "eol_date": None, "replacements": [], "replacement": "-"})
    age = data_age(now, config.registry.cache_dir)
    stale = data_age_problem(age, args.max_data_age)
    if stale:
        problems.append({"alias": "-", "model_id": "-", "state": "-", "role": "-", "reason": stale, "eol_date": None,
                         "replacements": [], "replacement": "-"})
    if args.json:
        print_json({"ok": not problems, "region": region, "at": now.isoformat(), "sources": ctx.sources,
                    "problems": problems, "notes": notes, "data_age": age.to_json()})
        return 1 if problems else 0
    print(f"Configuration read from: {read}")
    if problems:
        rows = [[p["alias"], p["model_id"], p["role"], p["reason"], (p["eol_date"] or "-")[:10], p["replacement"]]
                for p in problems if p["alias"] != "-"]
        if rows:
            print_table(["alias", "model", "role", "problem", "eol", "replacement"], rows)
        for p in problems:
            if p["alias"] == "-":
                print(f"error: {p['reason']}")
            elif p.get("client_refuses"):
                print(f"The client refuses this configuration: {p['client_refuses']}")
        print(f"\n{plural(len(problems), 'problem')} with the configured models (region {region}).")
    else:
        n = sum(len(a["targets"]) for a in data)
        print(f"OK: {plural(n, 'configured model')} in {region} (targets at any weight, fallbacks, "
              "chains, shadows), none Legacy, in extended access, past EOL"
              + (f" or within {plural(args.within, 'day')} of EOL." if args.within else "."))
    for line in [*notes, age.line(), *([age.suggestion] if age.suggestion else [])]:
        print(line)
    return 1 if problems else 0


def cmd_resolve(args: argparse.Namespace) -> int:
    """The planner and policy gate of the client, without sending: where a request for
    ALIAS_OR_MODEL goes under --key at --at in --region, when every model sent to answers."""
    from bedrock_lifecycle.core.flow import explain
    from bedrock_lifecycle.core.gate import target_problems
    from bedrock_lifecycle.ids import ModelIdError

    ctx = _context(args)
    v = ctx.version
    try:
        result = explain(v, args.alias, ctx.now, args.key)
    except ModelIdError as exc:
        known = ", ".join(sorted(ctx.config.aliases)) or "none configured"
        raise CliError(f"{exc}; it is not a configured alias either (aliases: {known})", 2) from None
    refused = target_problems(ctx.config, ctx.registry, ctx.region, ctx.now)
    if refused:  # the client would not even be created: that is what it "does"
        result["outcome"] = {"action": "refuse", "model": None, "error_code": "ConfigError", "message": "; ".join(refused)}
    if args.json:
        print_json(result)
        return 1 if result["outcome"]["action"] == "refuse" else 0
    out = result["outcome"]
    who = result["alias"] or result["requested"]
    if out["action"] == "send":
        print(f"{who} -> {out['model']}" + (f"  (key {args.key!r})" if args.key else
                                            "  (no key: weighted random; the likeliest order is shown)"))
    elif out["error_code"] == "ConfigError":
        print(f"{who}: the client refuses this configuration: {out['message']}")
    else:
        print(f"{who}: refused before sending ({out['error_code']}): {out['model']} is {result['order'][0]['state']}")
    if result["weights"]:
        print("weights in force: " + ", ".join(f"{m} {w:g}%" for m, w in result["weights"].items()))
    print_table(["order", "model", "role", "state", "action"],
                [[i + 1, c["model"], c["role"], c["state"], c["action"] + (f" ({c['reason']})" if c["reason"] else "")]
                 for i, c in enumerate(result["order"])])
    return 1 if out["action"] == "refuse" else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.demo import main

    return main()


__all__ = ["add_parser", "fmt_date"]
