"""The AWS Price List API (``pricing``, JSON protocol, ``X-Amz-Target:
AWSPriceListService.*``): ``GetProducts`` for ``ServiceCode=AmazonBedrock``, enough for
``bedrock-lifecycle sync --prices`` to be tested end to end over HTTP.

Products are scripted with :meth:`PricingScripts.add_price` (one on-demand price dimension
each, in the shape AWS publishes: ``product.attributes`` with ``model``, ``regionCode``,
``inferenceType`` and ``usagetype``; ``terms.OnDemand`` with ``pricePerUnit.USD``); none
exist until a test adds them. Other service codes list nothing. Pages of ``MaxResults``
(default 100) with a ``NextToken``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Final

from bedrock_lifecycle.testing.app import (
    App,
    Service,
    delay_operation,
    fail_operation,
    rpc_operation,
)
from bedrock_lifecycle.testing.wire import Request, Response, fault

PRICING_OPERATIONS: Final = ("GetProducts",)
SERVICE_CODE: Final = "AmazonBedrock"
_PREFIX: Final = "AWSPriceListService"


@dataclasses.dataclass(slots=True)
class PricingState:
    products: list[str] = dataclasses.field(default_factory=list)  # PriceList items (JSON strings)

    @classmethod
    def new(cls, catalogue: bool) -> PricingState:
        return cls()


def _get_products(state: PricingState, ctx: Request) -> Any:
    body = ctx.json
    if not isinstance(body.get("ServiceCode"), str):
        return fault("InvalidParameterException", "ServiceCode is required.")
    items = state.products if body["ServiceCode"] == SERVICE_CODE else []
    try:
        start = int(body.get("NextToken") or 0)
        size = int(body.get("MaxResults") or 100)
    except (TypeError, ValueError):
        return fault("InvalidNextTokenException", "The next token is not valid.")
    end = start + max(1, min(size, 100))
    out: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": items[start:end]}
    if end < len(items):
        out["NextToken"] = str(end)
    return out


def _route(app: App, ctx: Request) -> Response | None:
    op = rpc_operation(ctx, _PREFIX)
    if op != "GetProducts":
        return None
    state = app.state(PricingState)
    return app.scripted_call(ctx, SERVICE, op, None, lambda c: _get_products(state, c))


SERVICE: Final = Service("pricing", PRICING_OPERATIONS, PricingState.new, _route, "AWS_ENDPOINT_URL_PRICING")


def price_product(model: str, region: str, inference_type: str, usd: float, unit: str, **attributes: str) -> str:
    """One PriceList item as AWS publishes it for Amazon Bedrock (a JSON string)."""
    sku = hashlib.blake2s(f"{model}|{region}|{inference_type}|{attributes}".encode(), digest_size=8).hexdigest().upper()
    attrs = {
        "servicecode": SERVICE_CODE,
        "servicename": "Amazon Bedrock",
        "regionCode": region,
        "model": model,
        "inferenceType": inference_type,
        "usagetype": f"{region.upper()}-{model.replace(' ', '')}-{inference_type.replace(' ', '-').lower()}",
        **attributes,
    }
    term = f"{sku}.JRTCKXETXF"
    return json.dumps({
        "product": {"productFamily": "Amazon Bedrock", "sku": sku, "attributes": attrs},
        "serviceCode": SERVICE_CODE,
        "terms": {"OnDemand": {term: {
            "offerTermCode": "JRTCKXETXF", "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z",
            "priceDimensions": {f"{term}.6YS6EN2CT7": {
                "unit": unit, "description": f"{model} {inference_type}", "pricePerUnit": {"USD": f"{usd:.10f}"},
            }},
        }}},
        "version": "20261101000000",
        "publicationDate": "2026-11-01T00:00:00Z",
    })


class PricingScripts:
    """Price List part of :class:`LocalBedrock`'s scripting API."""

    _app: App

    def add_price(
        self, model: str, region: str, inference_type: str, usd: float, *, unit: str = "1K tokens",
        **attributes: str,
    ) -> None:
        """Publish one on-demand price: ``model`` as the Price List names it ("Nova Lite"),
        ``inference_type`` such as "Input tokens", "Output tokens", "Cache read input tokens";
        extra ``attributes`` (``usagetype="...-batch-..."``) go into the product."""
        item = price_product(model, region, inference_type, usd, unit, **attributes)
        with self._app.lock:
            self._app.state(PricingState).products.append(item)

    def fail_pricing(self, code: str, times: int | None = None, message: str | None = None) -> None:
        """GetProducts answers error ``code`` (``AccessDeniedException``, ``ThrottlingException``)."""
        fail_operation(self._app, SERVICE, "GetProducts", code, times, message)

    def delay_pricing(self, seconds: float, times: int | None = None) -> None:
        delay_operation(self._app, SERVICE, "GetProducts", seconds, times)
