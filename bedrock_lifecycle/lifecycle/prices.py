"""On-demand prices: a bundled table, the AWS Price List API cache, and user overrides.

- **Bundled**: ``lifecycle/data/prices.json``, built by ``tools/build_prices.py`` from public
  copies of the Amazon Bedrock pricing page (source and as-of date per entry).
- **Synced**: ``bedrock-lifecycle sync --prices`` reads the AWS Price List API (``pricing``
  ``GetProducts``, ``ServiceCode=AmazonBedrock``) into ``<cache dir>/prices-cache.json``
  (atomic, mode 0600, like the lifecycle cache). Products are named there, not identified:
  a product is matched to a model ID by the model's name; products that match no known
  model are counted in the sync report, never guessed.
- **Overrides**: ``[prices."MODEL_ID"]`` in the configuration (negotiated prices).

Precedence: overrides > synced > bundled, each looked up from the most specific key down:
the identifier as given (an inference profile such as ``us.anthropic...`` can cost more than
its model), then its foundation model; within a key the caller's region first, then an
entry for every region. An unknown price is ``None``, never 0, and so is the cost of usage
that includes tokens of a kind without a known price (a partial sum would understate it).

:meth:`PriceTable.cost_of` is on the metrics path: after the first call for an
``(identifier, region)`` pair it is one dict lookup and four multiplications.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from bedrock_lifecycle.errors import describe_error
from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.util.aws import aws_client

__all__ = [
    "PRICE_CACHE_FILENAME",
    "Price",
    "PriceSyncReport",
    "PriceTable",
    "bundled_prices",
    "cost_of",
    "default_table",
    "price_of",
    "prices_from_products",
    "reset",
    "sync_prices",
]

SCHEMA = "bedrock-lifecycle-prices"
CACHE_SCHEMA = "bedrock-lifecycle-price-cache"
SCHEMA_VERSION = 1
PRICE_CACHE_FILENAME = "prices-cache.json"
_MEMO_MAX = 4096
_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class Price:
    """USD per 1000 tokens of each kind; None = unknown."""

    model_id: str
    input_per_1k: float | None
    output_per_1k: float | None
    cache_read_per_1k: float | None = None
    cache_write_per_1k: float | None = None
    regions: frozenset[str] | None = None  # None: every region
    source: str = "bundled"  # bundled | price-list-api | config
    provenance: str = ""
    as_of: str | None = None
    _rates: tuple[float | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rates", (
            self.input_per_1k, self.output_per_1k, self.cache_read_per_1k, self.cache_write_per_1k,
        ))

    def cost(self, input_tokens: int = 0, output_tokens: int = 0,
             cache_read_tokens: int = 0, cache_write_tokens: int = 0) -> float | None:
        """USD for these tokens; None when tokens of a kind whose price is unknown were used."""
        # Unrolled: this runs per call when metrics estimate cost (see bench_prices).
        r_in, r_out, r_read, r_write = self._rates
        total = 0.0
        if input_tokens:
            if r_in is None:
                return None
            total += input_tokens * r_in
        if output_tokens:
            if r_out is None:
                return None
            total += output_tokens * r_out
        if cache_read_tokens:
            if r_read is None:
                return None
            total += cache_read_tokens * r_read
        if cache_write_tokens:
            if r_write is None:
                return None
            total += cache_write_tokens * r_write
        return total / 1000.0

    def to_json(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "input_per_1k": self.input_per_1k,
            "output_per_1k": self.output_per_1k,
            "cache_read_per_1k": self.cache_read_per_1k,
            "cache_write_per_1k": self.cache_write_per_1k,
            "regions": None if self.regions is None else sorted(self.regions),
            "source": self.source,
            "provenance": self.provenance,
            "as_of": self.as_of,
        }


def _count(usage: Mapping[str, Any], camel: str, snake: str) -> int:
    v = usage.get(camel)
    if v is None:
        v = usage.get(snake)
    return v if v.__class__ is int and v > 0 else 0  # not bool, not a float or string from a bad body


def usage_tokens(usage: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """(input, output, cache read, cache write) tokens from a Converse ``usage`` or an
    InvokeModel (Anthropic-style) ``usage`` mapping; absent or bad values count 0."""
    return (
        _count(usage, "inputTokens", "input_tokens"),
        _count(usage, "outputTokens", "output_tokens"),
        _count(usage, "cacheReadInputTokens", "cache_read_input_tokens"),
        _count(usage, "cacheWriteInputTokens", "cache_creation_input_tokens"),
    )


# ------------------------------------------------------------------------------- the table


_Layer = dict[tuple[str, str | None], Price]


def _layer(prices: Iterable[Price]) -> _Layer:
    layer: _Layer = {}
    for p in prices:
        for region in (None,) if p.regions is None else sorted(p.regions):
            layer[(p.model_id, region)] = p
    return layer


def _candidates(model_id: str) -> tuple[list[str], str | None]:
    """Keys to try, most specific first, and the region an ARN names."""
    keys = [model_id]
    try:
        parsed = parse_model_id(model_id)
    except ModelIdError:
        return keys, None
    base_keys = list(parsed.lookup_keys)
    if parsed.geography is not None:
        keys += [f"{parsed.geography}.{k}" for k in base_keys]
    keys += base_keys
    return list(dict.fromkeys(keys)), parsed.region


class PriceTable:
    """Prices in layers (first wins): overrides, synced, bundled."""

    def __init__(self, *layers: Iterable[Price]) -> None:
        self._layers: tuple[_Layer, ...] = tuple(_layer(ps) for ps in layers)
        self._memo: dict[tuple[str, str | None], Price | None] = {}

    def __len__(self) -> int:
        return len({k[0] for layer in self._layers for k in layer})

    def model_ids(self) -> set[str]:
        return {k[0] for layer in self._layers for k in layer}

    def price_of(self, model_id: str, region: str | None = None) -> Price | None:
        """The price that applies to calls to ``model_id`` (a model ID, inference profile ID
        or ARN) from ``region``; None when unknown."""
        key = (model_id, region)
        try:
            return self._memo[key]
        except KeyError:
            pass
        found = self.resolve(model_id, region)
        if len(self._memo) < _MEMO_MAX:  # bounded: identifiers come from callers
            self._memo[key] = found
        return found

    def resolve(self, model_id: str, region: str | None) -> Price | None:
        """:meth:`price_of` without the memo (parses the identifier, walks the layers)."""
        keys, arn_region = _candidates(model_id)
        region = region or arn_region
        for layer in self._layers:
            for k in keys:
                hit = (region is not None and layer.get((k, region))) or layer.get((k, None))
                if hit:
                    return hit
        return None

    def cost_of(self, model_id: str, region: str | None, usage: Mapping[str, Any]) -> float | None:
        """USD for one response's ``usage`` (Converse or InvokeModel keys, cache tokens
        included); None when the price, or the price of a kind of token used, is unknown."""
        price: Price | None = self._memo.get((model_id, region), _UNSET)
        if price is _UNSET:
            price = self.price_of(model_id, region)
        if price is None:
            return None
        # Price.cost inlined for the common case (Converse keys, plain ints, no cache
        # tokens; the metrics batch sums such counts by the same rule and prices them once
        # per batch, observe.metrics): bench/bench_prices.py.
        get = usage.get
        i, o = get("inputTokens"), get("outputTokens")
        if i.__class__ is int and o.__class__ is int and i >= 0 and o >= 0 and \
                get("cacheReadInputTokens") is None and get("cacheWriteInputTokens") is None:
            r_in, r_out = price.input_per_1k, price.output_per_1k
            total = 0.0
            if i:
                if r_in is None:
                    return None
                total = i * r_in
            if o:
                if r_out is None:
                    return None
                total += o * r_out
            return total / 1000.0
        return price.cost(*usage_tokens(usage))


# ------------------------------------------------------------------------------ bundled


def _num(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{where}: expected a number >= 0 or null, got {value!r}")
    return float(value)


def price_from_json(obj: Mapping[str, Any], source: str, provenance: str = "") -> Price:
    mid = str(obj["model_id"])
    regions = obj.get("regions")
    return Price(
        model_id=mid,
        input_per_1k=_num(obj.get("input_per_1k"), f"{mid}.input_per_1k"),
        output_per_1k=_num(obj.get("output_per_1k"), f"{mid}.output_per_1k"),
        cache_read_per_1k=_num(obj.get("cache_read_per_1k"), f"{mid}.cache_read_per_1k"),
        cache_write_per_1k=_num(obj.get("cache_write_per_1k"), f"{mid}.cache_write_per_1k"),
        regions=None if regions is None else frozenset(str(r) for r in regions),
        source=source,
        provenance=provenance or str(obj.get("provenance", "")),
        as_of=None if obj.get("as_of") is None else str(obj["as_of"]),
    )


@functools.lru_cache(maxsize=1)
def bundled_prices() -> tuple[Price, ...]:
    """The bundled table (read once per process)."""
    raw = resources.files("bedrock_lifecycle.lifecycle").joinpath("data").joinpath("prices.json").read_text("utf-8")
    doc = json.loads(raw)
    if doc.get("schema") != SCHEMA or doc.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"bundled prices.json: expected schema {SCHEMA!r} version {SCHEMA_VERSION}")
    sources = doc.get("sources") or {}
    out = []
    for e in doc["entries"]:
        src = sources.get(e.get("source"), {})
        provenance = f"{e.get('source')}: {src.get('copy', '')} ({src.get('url', '')})"
        out.append(price_from_json(e, "bundled", provenance))
    return tuple(out)


def overrides_as_prices(overrides: Mapping[str, Any]) -> list[Price]:
    """``[prices]`` from the configuration (pydantic models or plain mappings) as prices."""
    out = []
    for model_id, entry in overrides.items():
        get = entry.get if isinstance(entry, Mapping) else lambda k, e=entry: getattr(e, k, None)
        out.append(price_from_json({
            "model_id": model_id,
            "input_per_1k": get("input_per_1k"),
            "output_per_1k": get("output_per_1k"),
            "cache_read_per_1k": get("cache_read_per_1k"),
            "cache_write_per_1k": get("cache_write_per_1k"),
        }, "config", "[prices] in the configuration"))
    return out


# --------------------------------------------------------------------------- the synced cache


def price_cache_file(cache_dir: Path | str | None = None) -> Path:
    from bedrock_lifecycle.lifecycle.sync import resolve_cache_dir

    return resolve_cache_dir(cache_dir) / PRICE_CACHE_FILENAME


def synced_prices(cache_dir: Path | str | None = None) -> list[Price]:
    """Prices from the ``sync --prices`` cache; [] when missing or unusable (never raises:
    a bad cache must not break a comparison or a metrics flush)."""
    path = price_cache_file(cache_dir)
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("schema") != CACHE_SCHEMA or doc.get("schema_version") != SCHEMA_VERSION:
            return []
        provenance = f"AWS Price List API, synced {doc.get('synced_at')}"
        return [price_from_json(e, "price-list-api", provenance) for e in doc["entries"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []


def default_table(*, overrides: Mapping[str, Any] | None = None, cache_dir: Path | str | None = None) -> PriceTable:
    """A table of ``overrides`` (the configuration's ``[prices]``), the synced cache and the
    bundled prices."""
    return PriceTable(overrides_as_prices(overrides or {}), synced_prices(cache_dir), bundled_prices())


_default: PriceTable | None = None
_default_lock = threading.Lock()


def _table() -> PriceTable:
    global _default
    table = _default
    if table is None:
        with _default_lock:
            if _default is None:
                _default = default_table()
            table = _default
    return table


def reset() -> None:
    """Forget the process-wide table (after ``sync --prices`` wrote a new cache, in tests)."""
    global _default
    with _default_lock:
        _default = None


def price_of(model_id: str, region: str | None = None) -> Price | None:
    """The price of ``model_id`` in ``region`` from the synced cache and the bundled table."""
    return _table().price_of(model_id, region)


def cost_of(model_id: str, region: str | None, usage: Mapping[str, Any]) -> float | None:
    """USD for one response's ``usage``; None when unknown (see :meth:`PriceTable.cost_of`)."""
    return _table().cost_of(model_id, region, usage)


# ------------------------------------------------------------------ the AWS Price List API

_SKIP_RE = re.compile(r"batch|provisioned|reserved|flex|priority|latency.?optimi|long.?context|custom|training|storage",
                      re.IGNORECASE)
_DATE_RE = re.compile(r"-\d{8}")
_VERSION_RE = re.compile(r"-v(\d+)(?::\d+)?$|:\d+$")


def _stem(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def _id_stem(model_id: str) -> str:
    """``anthropic.claude-3-5-sonnet-20241022-v2:0`` -> ``claude35sonnetv2``; v1 is dropped."""
    name = model_id.split(".", 1)[-1]
    name = _DATE_RE.sub("", name)
    name = _VERSION_RE.sub(lambda m: f"v{m.group(1)}" if m.group(1) and m.group(1) != "1" else "", name)
    return _stem(name)


def name_index(names: Mapping[str, str], model_ids: Iterable[str]) -> dict[str, str]:
    """Normalised product name -> model ID: the known names first (``names``: ID -> name, e.g.
    from the lifecycle data), then each ID's own stem; an ambiguous stem maps to nothing."""
    index: dict[str, str] = {}
    ambiguous: set[str] = set()
    for mid in sorted(set(model_ids)):
        s = _id_stem(mid)
        if s in index and index[s] != mid:
            ambiguous.add(s)
        index.setdefault(s, mid)
    for s in ambiguous:
        index.pop(s, None)
    for mid, name in names.items():
        if name:
            index[_stem(name)] = mid
            provider = mid.split(".", 1)[0]
            index[_stem(name).removeprefix(_stem(provider))] = mid
    return index


def _kind(inference_type: str) -> int | None:
    t = inference_type.casefold()
    if "cache" in t and "read" in t:
        return 2
    if "cache" in t and "write" in t:
        return 3
    if "input" in t:
        return 0
    if "output" in t:
        return 1
    return None


def _per_1k(unit: str, usd: float) -> float | None:
    u = unit.casefold().replace(" ", "")
    if "1m" in u or "million" in u:
        return usd / 1000.0
    if "1k" in u or "thousand" in u:
        return usd
    if u in ("token", "tokens"):
        return usd * 1000.0
    return None


def prices_from_products(
    products: Iterable[str | Mapping[str, Any]], index: Mapping[str, str], as_of: str
) -> tuple[list[Price], list[str]]:
    """Price List ``PriceList`` items (JSON strings or parsed) as per-region prices, and the
    names of on-demand token products that matched no model (sorted, each once)."""
    rates: dict[tuple[str, str], list[float | None]] = {}
    unmatched: set[str] = set()
    for item in products:
        try:
            prod = json.loads(item) if isinstance(item, str) else item
            attrs = prod["product"]["attributes"]
            terms = prod.get("terms", {}).get("OnDemand") or {}
        except (ValueError, KeyError, TypeError):
            continue
        name = str(attrs.get("model") or attrs.get("modelName") or "")
        region = attrs.get("regionCode")
        kind = _kind(str(attrs.get("inferenceType") or ""))
        described = " ".join(str(attrs.get(k) or "") for k in ("usagetype", "inferenceType", "feature", "featureType"))
        if not name or not region or kind is None or _SKIP_RE.search(described):
            continue
        model_id = index.get(_stem(name))
        if model_id is None:
            unmatched.add(name)
            continue
        for term in terms.values():
            for dim in (term.get("priceDimensions") or {}).values():
                try:
                    usd = float(dim["pricePerUnit"]["USD"])
                except (KeyError, TypeError, ValueError):
                    continue
                rate = _per_1k(str(dim.get("unit") or ""), usd)
                if rate is None or not math.isfinite(rate) or rate < 0:
                    continue
                rates.setdefault((model_id, str(region)), [None, None, None, None])[kind] = round(rate, 9)
    prices = [
        Price(mid, r[0], r[1], r[2], r[3], frozenset({region}), "price-list-api",
              "AWS Price List API (pricing GetProducts, AmazonBedrock)", as_of)
        for (mid, region), r in sorted(rates.items())
        if r[0] is not None or r[1] is not None
    ]
    return prices, sorted(unmatched)


@dataclass(frozen=True, slots=True)
class PriceSyncReport:
    products: int
    prices: int
    models: int
    regions: int
    unmatched: tuple[str, ...]
    cache_path: str
    written: bool
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "products": self.products, "prices": self.prices, "models": self.models,
            "regions": self.regions, "unmatched": list(self.unmatched),
            "cache_path": self.cache_path, "written": self.written, "error": self.error,
        }


def _lifecycle_names() -> tuple[dict[str, str], list[str]]:
    from bedrock_lifecycle.lifecycle.bundled import load

    data = load()
    names = {e.model_id: e.name for e in data.entries if e.name}
    return names, [*data.catalogue, *names]


def sync_prices(
    client: Any = None,
    *,
    cache_dir: Path | str | None = None,
    client_factory: Callable[[], Any] | None = None,
    now: Callable[[], _dt.datetime] | None = None,
) -> PriceSyncReport:
    """Read every AmazonBedrock product from the Price List API and write the on-demand
    token prices to the cache (only when the read succeeded and found prices: a failed or
    empty read keeps the previous cache)."""
    from bedrock_lifecycle.lifecycle.sync import write_document

    path = price_cache_file(cache_dir)
    stamp = (now or (lambda: _dt.datetime.now(_dt.timezone.utc)))()
    try:
        if client is None:
            client = client_factory() if client_factory is not None else _pricing_client()
        products: list[str] = []
        paginator = client.get_paginator("get_products")
        for page in paginator.paginate(ServiceCode="AmazonBedrock", FormatVersion="aws_v1"):
            products.extend(page.get("PriceList") or [])
    except Exception as exc:  # any failure is reported, never raised to the CLI as a traceback
        return PriceSyncReport(0, 0, 0, 0, (), str(path), False, describe_error(exc))
    names, ids = _lifecycle_names()
    prices, unmatched = prices_from_products(products, name_index(names, ids), stamp.date().isoformat())
    report = PriceSyncReport(
        len(products), len(prices), len({p.model_id for p in prices}),
        len({r for p in prices for r in p.regions or ()}), tuple(unmatched), str(path), False,
    )
    if not prices:
        return _replace_error(report, "the Price List API returned no on-demand token price for a known model")
    doc = {
        "schema": CACHE_SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "synced_at": stamp.isoformat().replace("+00:00", "Z"),
        "source": "AWS Price List API: pricing GetProducts, ServiceCode AmazonBedrock",
        "entries": [{k: v for k, v in p.to_json().items() if k not in ("source", "provenance")} for p in prices],
        "unmatched": unmatched,
    }
    try:
        write_document(path, doc)
    except OSError as exc:
        return _replace_error(report, f"cannot write {path}: {exc.strerror or exc}")
    reset()
    return PriceSyncReport(report.products, report.prices, report.models, report.regions,
                           report.unmatched, report.cache_path, True)


def _replace_error(r: PriceSyncReport, error: str) -> PriceSyncReport:
    return PriceSyncReport(r.products, r.prices, r.models, r.regions, r.unmatched, r.cache_path, False, error)



def _pricing_client() -> Any:
    """The Price List API lives in a few regions only; us-east-1 serves every region's prices.
    ``AWS_ENDPOINT_URL_PRICING`` (boto3's own variable) points it elsewhere."""
    return aws_client("pricing", region="us-east-1", purpose="prices")

