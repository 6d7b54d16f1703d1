"""``preflight``: before traffic moves, can this account call each model an alias can send
to, in each region, as configured, for long enough, and at the load it will get?

Per (model, region): access (``GetFoundationModelAvailability``), region and profile
(``GetFoundationModel``, ``ListInferenceProfiles``), lifecycle (the registry, raised by the
API's status) and quotas (Service Quotas against the observed load × the planned weight).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bedrock_lifecycle.errors import describe_error as error_text
from bedrock_lifecycle.readiness import checks, quotas
from bedrock_lifecycle.readiness.aws import Clients, is_denied
from bedrock_lifecycle.readiness.load import Load, from_cloudwatch, from_snapshots
from bedrock_lifecycle.readiness.model import Check, ModelResult, Status, Subject
from bedrock_lifecycle.readiness.targets import subjects_of

CLOUDWATCH_ACTIONS = ("cloudwatch:ListMetrics", "cloudwatch:GetMetricData")


@dataclasses.dataclass(frozen=True)
class Options:
    regions: tuple[str, ...]
    plan: float = 100.0  # percent of the source's load each model is checked against
    from_cloudwatch: bool = False
    cloudwatch_days: int = 7
    cloudwatch_region: str | None = None  # default: the first region
    peak_factor: float = 1.0  # multiplies an average (snapshot) load
    metrics_dir: Path | None = None
    guaranteed_for: int | None = None  # fail when the earliest possible EOL is within these days
    now: _dt.datetime = dataclasses.field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc))


@dataclasses.dataclass(frozen=True)
class LoadAnswer:
    load: Load | None
    hint: str  # why there is none
    failure: Check | None = None  # the load could not be read (a missing permission)


def observed_load(name: str, is_alias: bool, options: Options, clients: Clients) -> LoadAnswer:
    if options.from_cloudwatch:
        region = options.cloudwatch_region or options.regions[0]
        try:
            load = from_cloudwatch(clients.get("cloudwatch", region), name, is_alias=is_alias,
                                   days=options.cloudwatch_days, now=options.now)
        except Exception as exc:
            if is_denied(exc):
                action = " and ".join(CLOUDWATCH_ACTIONS)
                return LoadAnswer(None, "", Check(
                    "quotas", Status.NOT_CHECKED, f"not checked: missing permission {action} (load from CloudWatch)",
                    actions=(f"grant {action}",), iam_action=CLOUDWATCH_ACTIONS[1]))
            return LoadAnswer(None, "", Check("quotas", Status.NOT_CHECKED,
                                              f"not checked: CloudWatch failed ({error_text(exc)})"))
        hint = f"no BedrockLifecycle metrics for {name!r} in CloudWatch {region} (BEDROCK_LIFECYCLE_METRICS=cloudwatch)"
        return LoadAnswer(load, hint)
    if options.metrics_dir is None:
        return LoadAnswer(None, "no metrics directory")
    load = from_snapshots(options.metrics_dir, name, is_alias=is_alias)
    if load is not None and options.peak_factor != 1.0:
        load = dataclasses.replace(load.scaled(options.peak_factor), basis=f"average × {options.peak_factor:g}")
    hint = (f"no metrics snapshot for {name!r} in {options.metrics_dir}: run the application with "
            "BEDROCK_LIFECYCLE_METRICS=file, or pass --from-cloudwatch")
    return LoadAnswer(load, hint)


def check_model(
    source: str, subject: Subject, cp: checks.ControlPlane, book: quotas.QuotaBook, registry: Any,
    load: LoadAnswer, options: Options,
) -> ModelResult:
    found = [checks.access(cp, subject), checks.region_and_profile(cp, subject),
             checks.lifecycle(cp, subject, registry, options.now, options.guaranteed_for)]
    if load.failure is not None:
        found.append(load.failure)
    elif subject.base_model_id is None:
        found.append(Check("quotas", Status.NOT_CHECKED, f"not checked: {subject.configured} names no base model"))
    else:
        details, _ = cp.model(subject.base_model_id)
        status = registry.lookup(subject.configured, cp.region, options.now)
        found.append(quotas.check(book, subject, details, status, load.load, options.plan, load.hint))
    return ModelResult(source, subject, cp.region, tuple(found))


def run(names: Sequence[str], config: Any, registry: Any, options: Options, clients: Clients | None = None) -> list[ModelResult]:
    """Every check for every model of every name, in every region. Raises
    :class:`~bedrock_lifecycle.readiness.targets.UsageError` for an unknown name."""
    clients = clients or Clients()
    plan = [(name, subjects_of(name, config, options.now)) for name in names]  # usage errors first
    planes = {r: checks.ControlPlane(clients, r) for r in options.regions}
    books = {r: quotas.QuotaBook(clients, r) for r in options.regions}
    out: list[ModelResult] = []
    for name, subjects in plan:
        is_alias = name in config.aliases
        load = observed_load(name, is_alias, options, clients)
        for region in options.regions:
            for subject in subjects:
                out.append(check_model(name, subject, planes[region], books[region], registry, load, options))
    return out
