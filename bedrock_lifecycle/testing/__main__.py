"""``python -m bedrock_lifecycle.testing [--port N]``: run the local Bedrock for your own app.

Prints the endpoint and the environment variables to export, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bedrock_lifecycle.testing",
        description="Run a local Amazon Bedrock (runtime + control plane) for tests and demos.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--region", default="us-east-1", help="default region (default us-east-1)")
    parser.add_argument(
        "--no-catalogue", action="store_true", help="start with an empty control-plane catalogue"
    )
    parser.add_argument(
        "--eol", action="append", default=[], metavar="MODEL", help="MODEL answers the EOL error"
    )
    parser.add_argument(
        "--legacy-inactive",
        action="append",
        default=[],
        metavar="MODEL",
        help="MODEL answers the Legacy-inactive error",
    )
    parser.add_argument(
        "--fail",
        action="append",
        default=[],
        metavar="MODEL=CODE",
        help="MODEL always answers error CODE (e.g. ThrottlingException); MODEL may be '*'",
    )
    args = parser.parse_args(argv)

    from bedrock_lifecycle.testing.server import LocalBedrock

    # No records: nothing reads them here, and a long-running server would only grow.
    server = LocalBedrock(
        host=args.host,
        port=args.port,
        region=args.region,
        catalogue=not args.no_catalogue,
        record=False,
    )
    try:
        for model in args.eol:
            server.eol(model)
        for model in args.legacy_inactive:
            server.legacy_inactive(model)
        for spec in args.fail:
            model, sep, code = spec.partition("=")
            if not sep:
                parser.error(f"--fail expects MODEL=CODE, got {spec!r}")
            server.fail(model, code, times=None)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        server.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"Local Bedrock listening on {server.endpoint_url}", flush=True)
    print("Point an application at it with:", flush=True)
    for name, value in server.env().items():
        print(f"export {name}={shlex.quote(value)}", flush=True)
    print("Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
