"""`hcp rules check FILE…` and `hcp rules test FILE…` (also `python -m rules …`).

Output is for policy staff: one line per problem as FILE:LINE:COL: message, never a
traceback; exit 0 when everything holds, 1 otherwise."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from rules.loader import PolicyError, load
from rules.scenarios import run_scenarios


def check(paths: Sequence[Path], out: TextIO = sys.stdout) -> int:
    failed = False
    for path in paths:
        try:
            source = load(path)
        except PolicyError as exc:
            failed = True
            for problem in exc.problems:
                print(problem, file=out)
            continue
        rules = len(source.policy.rules())
        print(f"{path}: OK, {rules} rules, version {source.version}", file=out)
    return 1 if failed else 0


def test(paths: Sequence[Path], out: TextIO = sys.stdout) -> int:
    failed = False
    for path in paths:
        try:
            results = run_scenarios(path)
        except PolicyError as exc:
            failed = True
            for problem in exc.problems:
                print(problem, file=out)
            continue
        for result in results:
            print(result, file=out)
        bad = sum(not r.passed for r in results)
        failed = failed or bad > 0
        print(f"{path}: {len(results) - bad} passed, {bad} failed", file=out)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] not in ("check", "test"):
        print("usage: python -m rules check|test FILE [FILE…]", file=sys.stderr)
        return 2
    paths = [Path(a) for a in args[1:]]
    return check(paths) if args[0] == "check" else test(paths)
