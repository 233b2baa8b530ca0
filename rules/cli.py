"""`hcp rules check FILE…` and `hcp rules test FILE…` (also `python -m rules …`).

Output is for policy staff: one line per problem as FILE:LINE:COL: message, never a
traceback; exit 0 when everything holds, 1 otherwise. A warning (FILE:LINE:COL: warning:
message) points at something valid but probably not meant, and leaves the exit code 0."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from rules.loader import load
from rules.policy_problems import PolicyError
from rules.scenarios import run_scenarios


def check(paths: Sequence[Path], out: TextIO = sys.stdout) -> int:
    def report(path: Path) -> bool:
        source = load(path)
        for warning in source.warnings:
            print(warning, file=out)
        print(f"{path}: OK, {len(source.policy.rules())} rules, version {source.version}", file=out)
        return True

    return _each(paths, out, report)


def test(paths: Sequence[Path], out: TextIO = sys.stdout) -> int:
    def report(path: Path) -> bool:
        results = run_scenarios(path)
        for result in results:
            print(result, file=out)
        bad = sum(not r.passed for r in results)
        print(f"{path}: {len(results) - bad} passed, {bad} failed", file=out)
        return bad == 0

    return _each(paths, out, report)


def _each(paths: Sequence[Path], out: TextIO, report: Callable[[Path], bool]) -> int:
    """Run `report` per file; a file that is not a valid policy prints its problems."""
    failed = False
    for path in paths:
        try:
            failed = not report(path) or failed
        except PolicyError as exc:
            failed = True
            for problem in exc.problems:
                print(problem, file=out)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] not in ("check", "test"):
        print("usage: python -m rules check|test FILE [FILE…]", file=sys.stderr)
        return 2
    paths = [Path(a) for a in args[1:]]
    return check(paths) if args[0] == "check" else test(paths)
