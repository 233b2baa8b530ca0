"""Reading a policy file: YAML with line numbers, the spec, and errors a policy officer can
act on ("FILE:LINE:COL: key.path: what is wrong; what would be valid")."""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import TypeAdapter, ValidationError
from yaml.events import AliasEvent, NodeEvent

from rules.ime import mended, slips
from rules.policy_problems import Locator, PolicyError, Problem, problem
from rules.schema_wording import failed_sections, from_validation
from rules.spec import Policy
from rules.spec_checks import advice, cross_checks
from rules.wording import Said
from rules.yaml_problems import reader_problem, slip_problems, syntax_problems, with_slips

# A real policy is 10-20 KB. Every byte costs parsing time (pure-Python YAML: about 8 s per
# MiB, 2 s for this bound) and the file comes from whoever can write it or call
# publishRules, so the size is checked before anything is parsed.
MAX_POLICY_BYTES = 256 * 1024
# The spec nests 7 deep (levels -> a level -> tags -> a tag -> channels -> a channel); deeper
# is never a policy, and the YAML composer recurses once per level.
MAX_DEPTH = 32
# Reading a policy of MAX_POLICY_BYTES takes about 2 s; past 5 times that, on a busy worker,
# something is wrong.
PARSE_SECONDS = 10.0
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Source:
    """A validated policy with what identifies it: its text's hash and optional label."""

    policy: Policy
    text: str
    digest: str
    warnings: tuple[Problem, ...] = ()

    @property
    def version(self) -> str:
        label = self.policy.version
        return f"{label}@{self.digest}" if label else self.digest


def load(path: Path) -> Source:
    try:
        size = path.stat().st_size
        if size > MAX_POLICY_BYTES:
            raise PolicyError([_too_large(str(path), size)])
        with path.open(encoding="utf-8") as handle:
            # A file may grow after stat: never read much more than a policy may hold.
            text = handle.read(MAX_POLICY_BYTES + 1)
    except (OSError, UnicodeDecodeError) as exc:
        kind = exc.__class__.__name__
        said = Said(
            f"读不了这个文件（{kind}）：请确认文件存在、有读取权限，并以 UTF-8 编码保存",
            f"cannot read the file ({kind})",
        )
        raise PolicyError([problem(str(path), 1, 1, said)]) from None
    return parse(text, str(path))


async def load_bounded(path: Path, *, seconds: float = PARSE_SECONDS) -> Source:
    """`load` for a running service: on a worker thread, so the event loop keeps serving,
    and refused after `seconds` (the thread finishes on its own; the size bound keeps that
    short)."""
    return await _bounded(functools.partial(load, path), str(path), seconds)


async def parse_bounded(
    text: str, name: str = "<rules>", *, seconds: float = PARSE_SECONDS
) -> Source:
    """`parse` for a running service, like `load_bounded`."""
    return await _bounded(functools.partial(parse, text, name), name, seconds)


async def _bounded(read: Callable[[], Source], name: str, seconds: float) -> Source:
    try:
        return await asyncio.wait_for(asyncio.to_thread(read), seconds)
    except TimeoutError:
        said = Said(
            f"读取这份规则用了超过 {seconds:g} 秒，所以没有采用，继续按原来的规则运行；正常的规则"
            "文件不到一秒就能读完，请先用 hcp rules check 检查",
            f"reading the policy took longer than {seconds:g} s, so it was not used; "
            "a real policy is read in well under a second",
        )
        raise PolicyError([problem(name, 1, 1, said)]) from None


def read_yaml(text: str, name: str) -> tuple[yaml.Node | None, Any]:
    """A policy-side YAML document (a policy, a scenarios file) under the policy's bounds:
    its node tree and its data, or a PolicyError located in it."""
    _refuse_oversized(text, name)
    try:
        return _compose(text)
    except _Refused as exc:
        raise PolicyError([problem(name, exc.line, exc.column, exc.said)]) from None
    except yaml.MarkedYAMLError as exc:
        raise PolicyError(syntax_problems(text, name, exc)) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. a NUL
        raise PolicyError([reader_problem(text, name, exc)]) from None


def parse(text: str, name: str = "<rules>") -> Source:
    """The policy in `text`, or a PolicyError with every problem found in one pass: the
    input-method slips, duplicate keys, the schema's errors and the cross checks of the
    sections that validated. A slip with one right spelling is reported, and the rest of
    the file checked as if it were typed right; a YAML syntax error, or a slip in the
    indentation, stops the reading there."""
    _refuse_oversized(text, name)
    found = slips(text)
    fixed = mended(text, found)
    if fixed != text:
        raise _as_mended(fixed, name, slip_problems(name, found))
    tree, data = read_yaml(text, name)
    if not isinstance(data, dict) or tree is None:
        said = Said(
            "文件内容要是一组“键: 值”（levels:、rating: 等，每个键单独一行、顶格写）",
            "the file must be a mapping of keys (levels:, rating:, …)",
        )
        raise PolicyError([problem(name, 1, 1, said)])
    located = Locator(name, tree)
    policy, problems, valid = _validate(data, located)
    problems += located.duplicate_keys()
    problems += [located.at(path, said.after(path)) for path, said in cross_checks(policy, valid)]
    problems = with_slips(problems, slip_problems(name, found))
    if problems:
        raise PolicyError(problems)
    digest = digest_of(text)
    warnings = tuple(
        located.at(path, said.after(path), warning=True) for path, said in advice(policy)
    )
    return Source(policy=policy, text=text, digest=digest, warnings=warnings)


def digest_of(text: str) -> str:
    """What identifies a policy's text (a Source's digest), without reading it."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _as_mended(fixed: str, name: str, slipped: list[Problem]) -> PolicyError:
    """The slips, and the problems of the file as if they were typed right (`fixed`, where
    no line moved) but those on a slip's line: what YAML made of a slip is the slip's."""
    try:
        parse(fixed, name)
    except PolicyError as exc:
        return PolicyError(with_slips(exc.problems, slipped))
    return PolicyError(slipped)


def _refuse_oversized(text: str, name: str) -> None:
    size = len(text.encode("utf-8", "surrogatepass"))  # a lone surrogate is the reader's to refuse
    if size > MAX_POLICY_BYTES:
        raise PolicyError([_too_large(name, size)])


def _validate(
    data: dict[str, Any], located: Locator
) -> tuple[Policy, list[Problem], set[str] | None]:
    """The policy, or as much of it as validated: its sections without errors (the cross
    checks that read only those still run), the schema's problems and those sections."""
    try:
        return Policy.model_validate(data), [], None
    except ValidationError as exc:
        problems = from_validation(located, exc)
        failed = failed_sections(exc)
    parts: dict[str, Any] = {}
    for key in Policy.model_fields.keys() - failed:
        if key in data:
            try:
                parts[key] = _section(key).validate_python(data[key])
            except ValidationError:
                failed.add(key)
    valid = set(Policy.model_fields) - failed
    return Policy.model_construct(**parts), problems, valid


@functools.cache
def _section(key: str) -> TypeAdapter[Any]:
    """The validator of one top-level section, with its field's constraints."""
    field = Policy.model_fields[key]
    annotated: Any = Annotated[field.annotation, field]  # built at run time: typed as Any
    return TypeAdapter(annotated)


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for locating problems) and its data, in one parse."""
    loader = _PolicyLoader(text)
    try:
        tree = loader.get_single_node()
        return tree, loader.construct_document(tree) if tree is not None else None
    finally:
        loader.dispose()


def _too_large(name: str, size: int) -> Problem:
    limit = MAX_POLICY_BYTES // 1024
    said = Said(
        f"文件有 {size:,} 字节，规则文件最大 {limit} KiB（{MAX_POLICY_BYTES:,} 字节），正常的"
        "规则文件约 10-20 KB；多半是粘贴错了内容",
        f"the file is {size:,} bytes; a policy file may be at most {limit} KiB "
        f"({MAX_POLICY_BYTES:,} bytes), and a real policy is 10-20 KB",
    )
    return problem(name, 1, 1, said)


class _Refused(Exception):
    """Something a policy never needs, found while composing (nothing was expanded), or a
    value YAML recognises but cannot build (a date past the month's end)."""

    def __init__(self, where: NodeEvent | yaml.Node, said: Said) -> None:
        super().__init__(said.en)
        mark = where.start_mark
        self.line, self.column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        self.said = said


class _PolicyLoader(yaml.SafeLoader):
    """The safe loader, refusing from the parser's events, before any node is built from
    them: anchors and aliases (one alias can stand for a billion values: the document is
    expanded by every walk over it), merge keys (`<<`, which exist to merge aliases) and
    nesting deeper than a policy ever goes."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event: NodeEvent = self.peek_event()  # type: ignore[no-untyped-call]  # untyped stub
        if isinstance(event, AliasEvent):
            raise _Refused(event, _no_anchors("别名", "alias", f"*{event.anchor}"))
        if event.anchor is not None:
            raise _Refused(event, _no_anchors("锚点", "anchor", f"&{event.anchor}"))
        if self._depth >= MAX_DEPTH:
            raise _Refused(
                event,
                Said(
                    f"YAML：层次超过了 {MAX_DEPTH} 层，规则文件不会这么深；多半是 [ 或 {{ "
                    "没有配对的 ] 或 }",
                    f"YAML: nested more than {MAX_DEPTH} levels deep; a policy nests far less, "
                    "so look for brackets [ { that are never closed",
                ),
            )
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        is_key = isinstance(parent, yaml.MappingNode) and index is None
        if is_key and node is not None and node.tag == _MERGE_TAG:
            raise _Refused(
                node,
                Said(
                    "YAML 合并键“<<”不能用在规则文件里：请把要合并的键逐个完整写出",
                    "YAML merge key '<<' is not allowed in a policy file; write the keys out in "
                    "full here",
                ),
            )
        return node

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date as YAML writes it, refused where it is when the calendar has no such day
        (2026-13-01, 2026-02-30): PyYAML raises a bare ValueError without a line."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            said = Said(
                f"“{node.value}”不是有效的日期：月份是 1-12，日不能超过当月的天数，例如 2026-10-01",
                f"{node.value!r} is not a date: months run 1-12 and days to the month's end, "
                "e.g. 2026-10-01",
            )
            raise _Refused(node, said) from None


_PolicyLoader.add_constructor("tag:yaml.org,2002:timestamp", _PolicyLoader.construct_yaml_timestamp)


def _no_anchors(kind_zh: str, kind_en: str, named: str) -> Said:
    return Said(
        f"YAML {kind_zh} {named}：规则文件里不能用锚点（&名称）和别名（*名称）；两处内容相同，"
        "就两处都完整写出",
        f"YAML {kind_en} {named}: anchors (&name) and aliases (*name) are not allowed in a "
        "policy file; write the value out in full wherever it is needed",
    )
