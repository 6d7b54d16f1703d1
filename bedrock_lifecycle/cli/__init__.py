"""``bedrock-lifecycle`` command line.

Each sub-command lives in its own module and registers itself with :func:`register`
through a ``add_parser(subparsers)`` function listed in ``_COMMAND_MODULES``.
Errors are one clear line on stderr with exit 2 (usage) or 1 (failure), never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bedrock_lifecycle.cli._common import CliError

# Sub-command modules, each with ``add_parser(subparsers) -> None``; the handler goes in
# ``set_defaults(func=...)`` and returns the exit code.
_COMMAND_MODULES = (
    "bedrock_lifecycle.cli.registry_cmds",  # lookup, list, sync
    "bedrock_lifecycle.cli.scan_cmd",  # scan
    "bedrock_lifecycle.cli.client_cmds",  # status, check, resolve, demo
    "bedrock_lifecycle.cli.toolkit_cmds",  # compare
    "bedrock_lifecycle.cli.fleet_cmds",  # analyze --fleet
    "bedrock_lifecycle.cli.readiness_cmds",  # preflight, diff, notices
    "bedrock_lifecycle.cli.alarm_cmd",  # alarm ALIAS --canary MODEL
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints usage + message and exits 2; keep it to one line plus a hint.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from bedrock_lifecycle import __version__

    parser = _Parser(
        prog="bedrock-lifecycle",
        description="Amazon Bedrock model lifecycle: look up, scan, gate CI and route.",
        epilog="'bedrock-lifecycle COMMAND --help' shows a command's examples and exit codes.",
    )
    parser.add_argument("--version", action="version", version=f"bedrock-lifecycle {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # not written yet in this checkout
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"bedrock-lifecycle {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


__all__ = ["CliError", "build_parser", "main"]
