"""The ``compare --report`` HTML: one self-contained file (inline CSS and SVG, no script,
no external resource), from the :func:`bedrock_lifecycle.toolkit.compare.summarise` summary and
the pairs it was made from.

Every string that comes from a model, a prompts file, a shadow log or the command line
goes through :func:`html.escape`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import html
import math
import os
import tempfile
from collections.abc import Sequence
from typing import Any

from bedrock_lifecycle.toolkit.compare import Pair

__all__ = ["render", "write_atomic"]

BASE_COLOUR = "#3b6fb6"
CAND_COLOUR = "#d9822b"
OUTPUT_CHARS = 4000  # per output in the most-different table

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2329;
  margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde2e8;padding-bottom:4px}
.meta{color:#5b6670;margin:0 0 16px}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border:1px solid #dde2e8;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f8;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.b{color:#3b6fb6;font-weight:600}.c{color:#d9822b;font-weight:600}
.warn{background:#fff7e6;border:1px solid #f0c36d;padding:8px 12px;border-radius:4px}
.warn li{margin:2px 0}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font:12.5px/1.4 ui-monospace,Menlo,Consolas,monospace;
  max-height:22em;overflow:auto}
.charts{display:flex;flex-wrap:wrap;gap:18px}
.chart{border:1px solid #dde2e8;border-radius:4px;padding:8px}
.chart h3{font-size:14px;margin:0 0 4px}
svg text{font:11px system-ui,sans-serif;fill:#3a444d}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;vertical-align:middle}
.muted{color:#7a848d}
.pass{color:#2e7d32;font-weight:600}.fail{color:#c0392b;font-weight:600}
.headline{border:1px solid #dde2e8;border-radius:4px;padding:8px 12px;margin:8px 0;background:#f8fafc}
.regr{background:#fdecea}
details summary{cursor:pointer;color:#5b6670}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _fmt(x: float | None, unit: str = "", digits: int = 1) -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}{unit}"


def _ticks(hi: float, n: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``hi``."""
    if hi <= 0 or not math.isfinite(hi):
        return [0.0, 1.0]
    raw = hi / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    top = math.ceil(hi / step) * step
    return [i * step for i in range(round(top / step) + 1)]


def _tick_label(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 or v == int(v) else f"{v:g}"


# ---------------------------------------------------------------------------------- charts


def _latency_chart(results: Sequence[Pair], summary: dict[str, Any]) -> str:
    """Box (p25-p75, median line, p5-p95 whiskers) over a strip of every successful call."""
    from bedrock_lifecycle.toolkit.compare import percentile

    sides = [
        ("baseline", BASE_COLOUR, [p.baseline.latency_ms for p in results if p.baseline.ok and p.baseline.latency_ms is not None]),
        ("candidate", CAND_COLOUR, [p.candidate.latency_ms for p in results if p.candidate.ok and p.candidate.latency_ms is not None]),
    ]
    all_v = [v for _, _, vs in sides for v in vs]
    if not all_v:
        return '<p class="muted">No successful calls: no latencies to draw.</p>'
    w, left, right, row = 620, 84, 20, 64
    h = 30 + row * 2 + 24
    ticks = _ticks(max(all_v))
    top = ticks[-1] or 1.0

    def x(v: float) -> float:
        return left + (w - left - right) * (v / top)

    out = [f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="Latency distributions">',
           "<title>Latency of successful calls (ms)</title>"]
    axis_y = 30 + row * 2
    for t in ticks:
        out.append(f'<line x1="{x(t):.1f}" y1="20" x2="{x(t):.1f}" y2="{axis_y}" stroke="#e6e9ed"/>')
        out.append(f'<text x="{x(t):.1f}" y="{axis_y + 14}" text-anchor="middle">{_e(_tick_label(t))}</text>')
    out.append(f'<text x="{w - right}" y="12" text-anchor="end">ms</text>')
    for i, (key, colour, vs) in enumerate(sides):
        cy = 30 + row * i + row / 2
        out.append(f'<text x="4" y="{cy + 4:.1f}" font-weight="600"><title>{_e(summary[key]["model"])}</title>{_e(key)}</text>')
        if not vs:
            out.append(f'<text x="{left}" y="{cy + 4:.1f}" class="muted">no successful calls</text>')
            continue
        # Strip: every call, spread vertically by a deterministic jitter.
        for j, v in enumerate(vs):
            jy = cy + ((j * 7919) % 23 - 11) * 0.9
            out.append(f'<circle cx="{x(v):.1f}" cy="{jy:.1f}" r="2.2" fill="{colour}" fill-opacity="0.35"/>')
        p5, p25, p50, p75, p95 = (percentile(vs, q) or 0.0 for q in (5, 25, 50, 75, 95))
        out.append(f'<line x1="{x(p5):.1f}" y1="{cy:.1f}" x2="{x(p95):.1f}" y2="{cy:.1f}" stroke="{colour}" stroke-width="1.5"/>')
        for v in (p5, p95):
            out.append(f'<line x1="{x(v):.1f}" y1="{cy - 7:.1f}" x2="{x(v):.1f}" y2="{cy + 7:.1f}" stroke="{colour}" stroke-width="1.5"/>')
        bw = max(1.0, x(p75) - x(p25))
        out.append(f'<rect x="{x(p25):.1f}" y="{cy - 13:.1f}" width="{bw:.1f}" height="26" fill="{colour}" fill-opacity="0.18" stroke="{colour}" stroke-width="1.5"/>')
        out.append(f'<line x1="{x(p50):.1f}" y1="{cy - 13:.1f}" x2="{x(p50):.1f}" y2="{cy + 13:.1f}" stroke="{colour}" stroke-width="3"/>')
    out.append("</svg>")
    return "".join(out)


def _token_chart(summary: dict[str, Any]) -> str:
    rows = [(side, kind, summary[side]["tokens"][kind]) for side in ("baseline", "candidate") for kind in ("input", "output")]
    w, left, right, bar = 420, 130, 60, 18
    h = 16 + len(rows) * (bar + 8) + 10
    hi = max((v for *_, v in rows), default=0) or 1
    out = [f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="Token use">',
           "<title>Tokens used by successful calls</title>"]
    for i, (side, kind, v) in enumerate(rows):
        y = 12 + i * (bar + 8)
        colour = BASE_COLOUR if side == "baseline" else CAND_COLOUR
        opacity = "0.55" if kind == "input" else "1"
        bw = (w - left - right) * v / hi
        out.append(f'<text x="4" y="{y + 13}">{_e(side)} {_e(kind)}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{bw:.1f}" height="{bar}" fill="{colour}" fill-opacity="{opacity}"/>')
        out.append(f'<text x="{left + bw + 4:.1f}" y="{y + 13}">{_e(f"{v:,}")}</text>')
    out.append("</svg>")
    return "".join(out)


def _similarity_chart(summary: dict[str, Any]) -> str:
    sim = summary["similarity"]
    counts: list[int] = sim.get("histogram") or []
    if not sim.get("scored") or not counts:
        return '<p class="muted">No pair was answered by both sides: nothing to compare.</p>'
    w, h, left, bottom, top_pad = 420, 220, 34, 40, 16
    pw, ph = w - left - 10, h - bottom - top_pad
    hi = max(counts) or 1
    ticks = _ticks(hi, 4)
    ymax = ticks[-1]
    n = len(counts)
    bw = pw / n
    out = [f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="Similarity histogram">',
           "<title>Pairs by output similarity</title>"]
    for t in ticks:
        y = top_pad + ph - ph * t / ymax
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{w - 10}" y2="{y:.1f}" stroke="#e6e9ed"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{_e(_tick_label(t))}</text>')
    threshold = float(sim["threshold"])
    for i, c in enumerate(counts):
        bh = ph * c / ymax
        agree = i / n >= threshold - 1e-9  # the whole bin is at or above it
        colour = "#4f9d69" if agree else "#b9c2cb"
        out.append(f'<rect x="{left + i * bw + 1:.1f}" y="{top_pad + ph - bh:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" fill="{colour}"><title>{i / n:.1f}–{(i + 1) / n:.1f}: {c}</title></rect>')
    for i in range(0, n + 1, 2):
        out.append(f'<text x="{left + i * bw:.1f}" y="{h - bottom + 14}" text-anchor="middle">{i / n:.1f}</text>')
    tx = left + pw * threshold
    out.append(f'<line x1="{tx:.1f}" y1="{top_pad - 4}" x2="{tx:.1f}" y2="{top_pad + ph}" stroke="#c0392b" stroke-dasharray="4 3" stroke-width="1.5"/>')
    out.append(f'<text x="{tx:.1f}" y="{top_pad - 6}" text-anchor="middle" fill="#c0392b">threshold {threshold:g}</text>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{h - 4}" text-anchor="middle">similarity</text>')
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------------------------- tables


def _errors_cell(errors: dict[str, int]) -> str:
    if not errors:
        return "none"
    return "<br>".join(f"{_e(code)}: {n}" for code, n in errors.items())


def _summary_table(summary: dict[str, Any]) -> str:
    b, c = summary["baseline"], summary["candidate"]

    def cost(side: dict[str, Any]) -> str:
        if side["cost_usd"] is not None:
            return f"${side['cost_usd']:,.4f}"
        if side.get("unpriced_models"):
            return "unknown (no price for " + ", ".join(_e(m) for m in side["unpriced_models"]) + ")"
        return "–"

    def served(side: dict[str, Any]) -> str:
        return "<br>".join(f"{_e(m)}: {n}" for m, n in side.get("served_by", {}).items()) or "–"

    rows = [
        ("model", _e(b["model"]), _e(c["model"]), False),
        ("served by", served(b), served(c), False),
        ("calls", _e(b["calls"]), _e(c["calls"]), True),
        ("errors", _errors_cell(b["errors"]), _errors_cell(c["errors"]), False),
        ("latency p50", _fmt(b["latency_ms"]["p50"], " ms"), _fmt(c["latency_ms"]["p50"], " ms"), True),
        ("latency p95", _fmt(b["latency_ms"]["p95"], " ms"), _fmt(c["latency_ms"]["p95"], " ms"), True),
        ("latency mean", _fmt(b["latency_ms"]["mean"], " ms"), _fmt(c["latency_ms"]["mean"], " ms"), True),
        ("input tokens", f"{b['tokens']['input']:,}", f"{c['tokens']['input']:,}", True),
        ("output tokens", f"{b['tokens']['output']:,}", f"{c['tokens']['output']:,}", True),
        ("estimated cost", cost(b), cost(c), True),
    ]
    if b.get("attempt_errors") or c.get("attempt_errors"):
        rows.append(("failed attempts (retried or final)", _errors_cell(b.get("attempt_errors", {})),
                     _errors_cell(c.get("attempt_errors", {})), False))
    body = "".join(
        f"<tr><th>{_e(name)}</th><td{' class=num' if num else ''}>{bv}</td><td{' class=num' if num else ''}>{cv}</td></tr>"
        for name, bv, cv, num in rows
    )
    return f'<table><tr><th></th><th class="b">baseline</th><th class="c">candidate</th></tr>{body}</table>'


def _similarity_text(summary: dict[str, Any]) -> str:
    s = summary["similarity"]
    if not s.get("scored"):
        return '<p class="muted">No pair had answers from both sides to compare.</p>'
    rate = s["agreement_rate"]
    jac = "" if s.get("jaccard_mean") is None else f", token Jaccard mean {s['jaccard_mean']:.2f}"
    return (
        f"<p><b>{rate * 100:.0f}%</b> of {s['scored']} compared pairs agree (similarity ≥ {s['threshold']:g}); "
        f"similarity mean {s['mean']:.2f}, median {s['median']:.2f}{jac}. "
        f'<span class="muted">Measure: {_e(s.get("method", ""))}.</span></p>'
    )


def _most_different(summary: dict[str, Any], results: Sequence[Pair]) -> str:
    rows = summary.get("most_different") or []
    if not rows:
        return '<p class="muted">No pair to show.</p>'
    by_id = {p.id: p for p in results}

    def output(text: str | None, fallback: str | None) -> str:
        t = text if text is not None else fallback
        if t is None:
            return '<span class="muted">(text not recorded)</span>'
        if len(t) > OUTPUT_CHARS:
            t = t[:OUTPUT_CHARS] + "…"
        return f"<pre>{_e(t)}</pre>"

    body = []
    for r in rows:
        p = by_id.get(r["id"])
        jac = "–" if r.get("jaccard") is None else f"{r['jaccard']:.2f}"
        prompt = "" if not r.get("prompt_excerpt") else f'<br><span class="muted">{_e(r["prompt_excerpt"])}</span>'
        body.append(
            f"<tr><td>{_e(r['id'])}{prompt}</td><td class=num>{r['similarity']:.2f}</td><td class=num>{jac}</td>"
            f"<td>{output(p.baseline.text if p else None, r.get('baseline_excerpt'))}</td>"
            f"<td>{output(p.candidate.text if p else None, r.get('candidate_excerpt'))}</td></tr>"
        )
    return (
        '<table><tr><th>prompt</th><th>similarity</th><th>Jaccard</th>'
        '<th class="b">baseline output</th><th class="c">candidate output</th></tr>' + "".join(body) + "</table>"
    )


# ---------------------------------------------------------------------- checks, judge, cost


def _verdict_headline(summary: dict[str, Any]) -> str:
    judge = summary.get("judge")
    if not judge:
        return ""
    v = judge["verdicts"]
    parts = ", ".join(f"<b>{n}</b> {_e(k)}" for k, n in v.items())
    rate = "" if judge.get("as_good_rate") is None else f" · as good or better: <b>{judge['as_good_rate'] * 100:.0f}%</b>"
    model = _e((summary.get("evaluation") or {}).get("judge", {}).get("model", ""))
    return f'<div class="headline"><b>Judge</b> ({model}): {parts}{rate}</div>'


def _checks_headline(summary: dict[str, Any]) -> str:
    ch = summary.get("checks") or {}
    if not ch.get("prompts_with_expectations"):
        return ""
    regs = summary.get("regressions") or []
    listed = "" if not regs else ": " + ", ".join(_e(r) for r in regs)
    return (f'<div class="headline"><b>Expectations</b>: baseline passed {ch["baseline_passed"]}, candidate passed '
            f'{ch["candidate_passed"]} of {ch["prompts_with_expectations"]} prompts · '
            f'<span class="{"fail" if regs else "pass"}">{len(regs)} regressions</span>{listed}</div>')


def _pass_cell(side: dict[str, Any]) -> str:
    if side.get("passed") is None:
        return "–" if side.get("ok") else f'<span class="fail">{_e(side.get("error"))}</span>'
    failed = [c for c in side["checks"] if not c["passed"]]
    if not failed:
        return '<span class="pass">pass</span>'
    return '<span class="fail">fail</span><br>' + "<br>".join(
        f'{_e(c["check"])}: {_e(c["detail"])}' for c in failed)


def _money(x: float | None) -> str:
    if x is None:
        return "–"
    return f"-${-x:,.6f}" if x < 0 else f"${x:,.6f}"


def _verdict_cell(v: dict[str, Any] | None) -> str:
    if v is None:
        return "–"
    raw = ""
    if v.get("raw") is not None:
        raw = f"<details><summary>judge reply</summary><pre>{_e(v['raw'])}</pre></details>"
    cls = {"worse": "fail", "better": "pass", "equivalent": "pass"}.get(v["verdict"], "")
    return f'<span class="{cls}">{_e(v["verdict"])}</span><br>{_e(v.get("reason"))}{raw}'


def _per_prompt(summary: dict[str, Any]) -> str:
    rows = summary.get("per_prompt") or []
    if not rows:
        return '<p class="muted">No prompts.</p>'
    body = []
    for r in rows:
        b, c, d = r["baseline"], r["candidate"], r["delta"]
        sim = "–" if r.get("similarity") is None else f"{r['similarity']:.2f}"
        shape = "<br>".join(f"{_e(x['kind'])}: {_e(x['detail'])}" for x in r.get("shape") or []) or "–"
        tokens = (f"{_e(b.get('input_tokens'))}/{_e(b.get('output_tokens'))} → "
                  f"{_e(c.get('input_tokens'))}/{_e(c.get('output_tokens'))}")
        body.append(
            f"<tr{' class=regr' if r['regression'] else ''}><td>{_e(r['id'])}</td><td class=num>{sim}</td>"
            f"<td>{_verdict_cell(r.get('verdict'))}</td><td>{_pass_cell(b)}</td><td>{_pass_cell(c)}</td>"
            f"<td class=num>{tokens}</td><td class=num>{_money(b.get('cost_usd'))}<br>{_money(c.get('cost_usd'))}</td>"
            f"<td class=num>{_money(d.get('cost_usd'))}</td><td>{shape}</td></tr>"
        )
    return (
        '<table><tr><th>prompt</th><th>similarity</th><th>verdict</th><th class="b">baseline checks</th>'
        '<th class="c">candidate checks</th><th>tokens in/out</th><th>cost (baseline, candidate)</th>'
        '<th>cost change</th><th>response shape</th></tr>' + "".join(body) + "</table>"
        + ('<p class="muted">Regressions (expectations the baseline passes and the candidate fails) come '
           "first, highlighted.</p>" if (summary.get("checks") or {}).get("prompts_with_expectations") else "")
    )


def _economics(summary: dict[str, Any]) -> str:
    d = summary.get("delta") or {}

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{x * 100:+.1f}%"

    out = [f"<p>Candidate against baseline: input tokens <b>{pct(d.get('input_tokens_change'))}</b>, output "
           f"tokens <b>{pct(d.get('output_tokens_change'))}</b>, cost per call <b>{pct(d.get('cost_per_call_change'))}</b>.</p>"]
    proj = summary.get("projection")
    if proj and proj.get("calls_per_month") is not None:
        out.append(f"<p>At {proj['calls_per_month']:,} calls a month ({_e(proj['basis'])}): baseline "
                   f"${proj['baseline_usd']:,.2f}, candidate ${proj['candidate_usd']:,.2f}, difference "
                   f"<b>${proj['difference_usd']:,.2f}</b> a month.</p>")
    elif proj:
        per = proj["per_1000_calls_usd"]
        out.append(f"<p>Per 1,000 calls: baseline ${per['baseline']:,.4f}, candidate ${per['candidate']:,.4f} "
                   f"(difference ${per['difference']:,.4f}). <span class=\"muted\">{_e(proj['basis'])}.</span></p>")
    ev = summary.get("evaluation") or {}
    for key, label in (("embedding", "Embedding calls"), ("judge", "Judge calls")):
        if key in ev:
            e = ev[key]
            out.append(f"<p class=\"muted\">{label} ({_e(e['model'])}): {e['calls']} calls, "
                       f"{e['input_tokens']:,} input / {e.get('output_tokens', 0):,} output tokens, "
                       f"cost {_money(e.get('cost_usd'))} (not included above).</p>")
    return "".join(out)


def _shape_section(summary: dict[str, Any]) -> str:
    shape = summary.get("shape") or {}
    if not shape.get("prompts"):
        return '<p class="muted">The candidate answered in the same shape as the baseline on every prompt.</p>'
    items = "".join(f"<li>{_e(k)}: {n} prompts</li>" for k, n in shape["differences"].items())
    return (f"<p>On {shape['prompts']} prompts the candidate's answers differ in shape (update the response "
            f"handling before moving traffic):</p><ul>{items}</ul>")


def render(
    summary: dict[str, Any],
    results: Sequence[Pair],
    *,
    source: str = "",
    warnings: Sequence[str] = (),
    generated: _dt.datetime | None = None,
) -> str:
    """The report as one HTML document."""
    when = (generated or _dt.datetime.now(_dt.timezone.utc)).isoformat(timespec="seconds")
    b, c = summary["baseline"]["model"], summary["candidate"]["model"]
    title = f"{b} vs {c}"
    warn = ""
    if warnings:
        warn = '<div class="warn"><b>Lifecycle warnings</b><ul>' + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul></div>"
    legend = (f'<p class="legend"><span style="background:{BASE_COLOUR}"></span>baseline {_e(b)}'
              f'<span style="background:{CAND_COLOUR}"></span>candidate {_e(c)}</p>')
    failed = []
    for key, label in (("only_baseline_failed", "only the baseline failed"),
                       ("only_candidate_failed", "only the candidate failed"), ("both_failed", "both failed")):
        if summary.get(key):
            failed.append(f"{summary[key]} where {label}")
    failed_txt = f" Pairs not compared: {', '.join(failed)}." if failed else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Comparison: {_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>Side-by-side comparison</h1>"
        f'<p class="meta"><span class="b">{_e(b)}</span> (baseline) vs <span class="c">{_e(c)}</span> (candidate) · '
        f"{_e(summary.get('pairs', 0))} pairs from {_e(source or 'input')} · generated {_e(when)}</p>"
        f"{_verdict_headline(summary)}{_checks_headline(summary)}"
        f"{warn}"
        f"<h2>Summary</h2>{_summary_table(summary)}{_economics(summary)}"
        f"<h2>Agreement</h2>{_similarity_text(summary)}<p>{_e(failed_txt.strip())}</p>"
        f'<h2>Charts</h2>{legend}<div class="charts">'
        f'<div class="chart"><h3>Latency of successful calls</h3>{_latency_chart(results, summary)}'
        '<p class="muted">Box: 25th–75th percentile, thick line: median, whiskers: 5th–95th; dots: every call.</p></div>'
        f'<div class="chart"><h3>Similarity of the two answers</h3>{_similarity_chart(summary)}</div>'
        f'<div class="chart"><h3>Tokens</h3>{_token_chart(summary)}'
        '<p class="muted">Lighter: input, darker: output.</p></div>'
        "</div>"
        f"<h2>Most different answers</h2>{_most_different(summary, results)}"
        f"<h2>Response shape</h2>{_shape_section(summary)}"
        f"<h2>Every prompt</h2>{_per_prompt(summary)}"
        "</body></html>\n"
    )


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory and
    ``os.replace``: a reader sees the old file or the whole new one, never a part."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".compare-", suffix=".html.tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
