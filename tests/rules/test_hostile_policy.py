"""Hostile policy files are refused quickly, with a located message, before anything is
expanded: YAML anchors and aliases (one alias can stand for billions of values), merge
keys, documents nested deeper than any policy and documents larger than any policy."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rules import PolicyError, Problem, load, parse
from rules import loader as policy_loader
from rules.scenarios import run_scenarios

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "rules.yaml").read_text(encoding="utf-8")
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")
REASON = "    description: 差评须选择原因或填写文字原因方可提交\n"


def laughs(depth: int) -> str:
    """A billion-laughs document: each level is nine aliases of the one above, so `depth`
    levels stand for 9**(depth-1) strings in a few hundred bytes."""
    names = "abcdefghij"[:depth]
    lines = [f"{names[0]}: &{names[0]} [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for above, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [{', '.join([f'*{above}'] * 9)}]")
    return "\n".join(lines) + "\n"


def refused(text: str) -> list[Problem]:
    with pytest.raises(PolicyError) as caught:
        parse(text, "policy.yaml")
    return caught.value.problems


def at(text: str, marker: str) -> tuple[int, int]:
    """1-based line and column of the first `marker` in `text`."""
    before = text[: text.index(marker)]
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def test_hcp_rules_check_refuses_a_billion_laughs_at_once(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(laughs(10), encoding="utf-8")
    assert path.stat().st_size < 500
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "rules", "check", str(path)],
        env={**os.environ, "HCP_VAR_DIR": str(tmp_path), "HCP_ENV": "dev"},
        capture_output=True,
        text=True,
        timeout=60,  # unrefused, this document takes hours: expanding it is the attack
        check=False,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, lines
    found = LINE.match(lines[0])
    assert found, lines
    assert (found["file"], found["line"], found["col"]) == (str(path), "1", "4")
    assert "锚点 &a" in found["message"] and "不能用锚点" in found["message"]


def test_the_loader_refuses_the_first_anchor_where_it_is() -> None:
    (problem,) = refused(laughs(5))
    assert (problem.file, problem.line, problem.column) == ("policy.yaml", 1, 4)
    assert "锚点 &a" in problem.message
    assert "anchor &a" in problem.text("en") and "not allowed" in problem.text("en")


def test_an_anchor_and_alias_in_a_real_policy_are_refused() -> None:
    anchored = REASON.replace("description: ", "description: &bad-reason ")
    text = TEXT.replace(REASON, anchored, 1).replace(REASON, "    description: *bad-reason\n")
    (problem,) = refused(text)
    assert (problem.line, problem.column) == at(text, "&bad-reason")
    assert "锚点 &bad-reason" in problem.message


def test_an_alias_without_its_anchor_is_refused_where_it_is() -> None:
    text = TEXT.replace(REASON, "    description: *bad-reason\n", 1)
    (problem,) = refused(text)
    assert (problem.line, problem.column) == at(text, "*bad-reason")
    assert "别名 *bad-reason" in problem.message
    assert "alias *bad-reason" in problem.text("en")


def test_a_merge_key_is_refused_where_it_is() -> None:
    text = TEXT.replace(
        "channel_classes:\n  online: [WEB, APP]\n", "channel_classes:\n  <<: {online: [WEB, APP]}\n"
    )
    assert "<<" in text
    (problem,) = refused(text)
    assert (problem.line, problem.column) == at(text, "<<")
    assert "合并键“<<”" in problem.message and "merge key" in problem.text("en")


def test_a_document_nested_deeper_than_any_policy_is_refused() -> None:
    text = "title: " + "[" * 5000 + "]" * 5000 + "\n"
    (problem,) = refused(text)
    assert problem.line == 1 and "层次超过了 32 层" in problem.message
    assert "nested" in problem.text("en")


def test_an_oversized_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(TEXT + "#" * 2_000_000 + "\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load(path)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (str(path), 1, 1)
    assert "规则文件最大 256 KiB" in problem.message
    assert f"{path.stat().st_size:,}" in problem.message
    assert "at most 256 KiB" in problem.text("en")


def test_oversized_text_is_refused_before_it_is_parsed() -> None:
    (problem,) = refused(TEXT + "#" * 2_000_000 + "\n")
    assert (problem.line, problem.column) == (1, 1) and "最大 256 KiB" in problem.message


def test_every_shipped_policy_is_free_of_anchors() -> None:
    for path in [ROOT / "rules.yaml", *sorted((ROOT / "rules" / "profiles").glob("*.yaml"))]:
        if not path.stem.endswith("_test"):
            assert load(path).policy.rules(), path


async def test_a_policy_that_takes_too_long_is_refused_and_nothing_waits_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading runs on a worker thread under a time limit: past it the policy is refused,
    whatever the thread is still doing."""
    path = tmp_path / "rules.yaml"
    path.write_text(TEXT, encoding="utf-8")
    release = threading.Event()
    real_parse = policy_loader.parse

    def stuck(text: str, name: str = "<rules>") -> object:
        release.wait(30)
        return real_parse(text, name)

    monkeypatch.setattr(policy_loader, "parse", stuck)
    try:
        with pytest.raises(PolicyError) as caught:
            await policy_loader.load_bounded(path, seconds=0.1)
    finally:
        release.set()
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (str(path), 1, 1)
    assert "超过 0.1 秒" in problem.message and "0.1 s" in problem.text("en")


def test_a_scenarios_file_with_aliases_is_refused_before_expansion(tmp_path: Path) -> None:
    """`hcp rules test` reads `<name>_test.yaml` under the policy's own bounds."""
    policy = tmp_path / "p.yaml"
    policy.write_text(TEXT, "utf-8")
    (tmp_path / "p_test.yaml").write_text(laughs(10) + "scenarios: *j\n", "utf-8")
    with pytest.raises(PolicyError) as refused:
        run_scenarios(policy)
    (problem,) = refused.value.problems
    assert (problem.line, problem.column) == (1, 4)  # the first anchor, before any expansion
    assert "锚点 &a" in problem.message
