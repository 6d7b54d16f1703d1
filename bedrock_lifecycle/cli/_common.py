"""Helpers shared by CLI sub-commands: errors, tables, JSON, argument types."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from bedrock_lifecycle.clock import InstantError, env_clock, parse_instant
from bedrock_lifecycle.regions import RegionError, validate_region


class CliError(Exception):
    """A user-facing failure: printed as one line, exit code 1 (or 2 for usage)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


#: Exit code 2, the same for every command.
USAGE = (2, "usage error: a bad argument, region or configuration (one line on stderr)")


def add_command(
    sub: Any,
    name: str,
    *,
    help: str,
    description: str,
    examples: Sequence[str],
    exit_codes: Sequence[tuple[int, str]],
) -> argparse.ArgumentParser:
    """Register sub-command ``name`` with a ``--help`` that has a description, examples and
    exit codes (every command's help has the same three parts; tests/test_cli_help.py runs
    each example through the real parser)."""
    lines = ["examples:", *(f"  {e}" for e in examples), "", "exit codes:"]
    for code, meaning in exit_codes:
        lines += textwrap.wrap(meaning, 76, initial_indent=f"  {code}  ", subsequent_indent="     ")
    return sub.add_parser(  # type: ignore[no-any-return]
        name,
        help=help,
        description="\n\n".join(textwrap.fill(para, 79) for para in description.split("\n\n")),
        epilog="\n".join(lines),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def instant_arg(value: str) -> _dt.datetime:
    """argparse ``type=`` for ``--at``: a clear message instead of a traceback (argparse
    adds "argument --at:" itself, so the message does not repeat it)."""
    try:
        return parse_instant(value, field="--at")
    except InstantError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--at: ")) from None


def region_arg(value: str) -> str:
    """argparse ``type=`` for ``--region``: a real region of some AWS partition, or a usage
    error naming the closest one (argparse adds "argument --region:" itself)."""
    try:
        return validate_region(value, "--region")
    except RegionError as exc:
        raise argparse.ArgumentTypeError(exc.reason) from None


def env_region(environ: Any = None) -> str | None:
    """``AWS_REGION``, else ``AWS_DEFAULT_REGION``, else None. A value that is no region of any
    AWS partition is a usage error naming the variable and the closest region: a mistyped
    region would read every model as ``unknown`` and switch the gates off."""
    import os

    env = os.environ if environ is None else environ
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = env.get(var)
        if value:
            try:
                return validate_region(value, var)
            except RegionError as exc:
                raise CliError(str(exc), 2) from None
    return None


def whole_number(value: str, minimum: int, maximum: int | None = None, *, what: str = "a whole number",
                 why: str = "") -> int:
    """An integer argument in ``minimum..maximum``; argparse names the option and value."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}") from None
    if n < minimum or (maximum is not None and n > maximum):
        wanted = f"{minimum} or more" if maximum is None else f"{minimum} to {maximum}"
        raise argparse.ArgumentTypeError(f"expected {wanted}{why}, got {n}")
    return n


def non_negative_int(value: str) -> int:
    return whole_number(value, 0)


def positive_int(value: str) -> int:
    return whole_number(value, 1)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 file``, ``2 files``, ``0 files`` (``many`` for irregular plurals)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def now_or(at: _dt.datetime | None) -> _dt.datetime:
    """``--at`` when given, else the library clock (``BEDROCK_LIFECYCLE_NOW`` or system)."""
    if at is not None:
        return at
    try:
        return env_clock()()
    except InstantError as exc:
        raise CliError(str(exc), 2) from None


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    line = "  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line.rstrip())
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def replacement_text(
    replacements: Sequence[str], suggested: Sequence[str] = (), width: int | None = None
) -> str:
    """The REPLACEMENT cell: AWS's replacements; where AWS names none, this project's
    suggested successor marked ``(suggested)``; else ``-``.

    With ``width``, a longer text is cut with ``…`` and keeps the ``(suggested)`` mark:
    ``anthropic.claude-haiku-4-5… (suggested)``.
    """
    mark = ""
    if replacements:
        text = ", ".join(replacements)
    elif suggested:
        text, mark = ", ".join(suggested), " (suggested)"
    else:
        return "-"
    if width is not None and len(text) + len(mark) > width:
        room = max(1, width - len(mark) - 1)
        text = text[:room] + "…"
    return text + mark


def fmt_date(d: _dt.datetime | None) -> str:
    return "-" if d is None else d.date().isoformat()
