"""`hcp rules check FILE…` and `hcp rules test FILE…` (also `python -m rules …`).

Output is for policy staff: one line per problem as FILE:LINE:COL: message, never a
traceback; exit 0 when everything holds, 1 otherwise. A warning (FILE:LINE:COL: 提醒：
message) points at something valid but probably not meant, and leaves the exit code 0.
Messages are Chinese; `lang="en"` (--lang en, HCP_LANG=en) prints them in English."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from rules.loader import load
from rules.policy_problems import PolicyError
from rules.scenarios import run_scenarios

LANGS = ("zh", "en")


def check(paths: Sequence[Path], out: TextIO = sys.stdout, lang: str = "zh") -> int:
    def report(path: Path) -> bool:
        source = load(path)
        for warning in source.warnings:
            print(warning.line_text(lang), file=out)
        count, version = len(source.policy.rules()), source.version
        if lang == "en":
            print(f"{path}: OK, {count} rules, version {version}", file=out)
        else:
            print(f"{path}: 没有问题（OK），共 {count} 条规则，版本 {version}", file=out)
        return True

    return _each(paths, out, report, lang)


def test(paths: Sequence[Path], out: TextIO = sys.stdout, lang: str = "zh") -> int:
    def report(path: Path) -> bool:
        results = run_scenarios(path)
        for result in results:
            print(result, file=out)
        bad = sum(not r.passed for r in results)
        if lang == "en":
            print(f"{path}: {len(results) - bad} passed, {bad} failed", file=out)
        else:
            print(f"{path}: {len(results) - bad} 个场景通过，{bad} 个未通过", file=out)
        return bad == 0

    return _each(paths, out, report, lang)


def _each(paths: Sequence[Path], out: TextIO, report: Callable[[Path], bool], lang: str) -> int:
    """Run `report` per file; a file that is not a valid policy prints its problems."""
    failed = False
    for path in paths:
        try:
            failed = not report(path) or failed
        except PolicyError as exc:
            failed = True
            for problem in exc.problems:
                print(problem.line_text(lang), file=out)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rules", description="check or test policy files (rules.yaml)"
    )
    parser.add_argument("action", choices=["check", "test"])
    parser.add_argument("files", nargs="+", type=Path)
    # The server reads HCP_LANG in server/settings.py; this entry point has no settings.
    default = os.environ.get("HCP_LANG") or "zh"
    parser.add_argument(
        "--lang", choices=LANGS, default=default if default in LANGS else "zh", help="zh or en"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    run = check if args.action == "check" else test
    return run(args.files, lang=args.lang)
