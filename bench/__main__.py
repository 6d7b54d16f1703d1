"""Run every benchmark module (``bench/bench_*.py``), or those named on the command line."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    # Names first, then options for the benchmark (one name only): soak --calls 400
    first = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    argv, flags = argv[:first], argv[first:]
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv] or names
    if flags and len(wanted) != 1:
        print(f"options {' '.join(flags)} need exactly one benchmark name", file=sys.stderr)
        return 2
    for name in wanted:
        if name not in names:
            print(f"unknown benchmark {name!r}; have: {', '.join(names)}", file=sys.stderr)
            return 2
        module = importlib.import_module(f"bench.{name}")
        if flags:
            module.main(flags)
        else:
            module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
