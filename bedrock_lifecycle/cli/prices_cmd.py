"""``sync --prices``: on-demand prices from the AWS Price List API into the local cache.

Reads every ``AmazonBedrock`` product with ``pricing`` ``GetProducts`` (boto3's credentials;
the Price List API answers from us-east-1 for every region; ``AWS_ENDPOINT_URL_PRICING``
points it elsewhere) and writes the on-demand token prices, per region, to
``<cache dir>/prices-cache.json`` (atomic, 0600). A failed or empty read keeps the previous
cache and exits 1.
"""

from __future__ import annotations

import argparse
import sys

from bedrock_lifecycle.cli._common import CliError, print_json, print_table


def cmd_sync_prices(args: argparse.Namespace) -> int:
    if args.region:
        raise CliError("--prices reads every region's prices from the Price List API: it takes no --region", 2)
    from bedrock_lifecycle.lifecycle.prices import sync_prices

    report = sync_prices(cache_dir=args.cache_dir)
    if args.json:
        print_json(report.to_json())
    else:
        print_table(("products", "prices", "models", "regions", "unmatched names"),
                    [(report.products, report.prices, report.models, report.regions, len(report.unmatched))])
        if report.unmatched:
            shown = ", ".join(report.unmatched[:10]) + (" …" if len(report.unmatched) > 10 else "")
            print(f"not matched to a known model ID (not cached): {shown}")
        if report.written:
            print(f"cache: {report.cache_path}")
    if report.error:
        print(f"error: {report.error} (the previous price cache, if any, is kept)", file=sys.stderr)
        return 1
    return 0
