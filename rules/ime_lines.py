"""The lines of a YAML text as rules/ime.py looks for slips in them: what of each line is
YAML's structure (not a comment, not inside quotes, not a block scalar's text), where a key
may begin, and how the line is indented. A light reading of the text alone: it must work
where PyYAML gives up, so it never needs the document to be valid."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

QUOTED = "\x01"  # stands for a quoted scalar's characters in `Line.code`
_LEAD = re.compile(r"[ \t\u3000]*")
_ITEM = re.compile(r"^( *)((?:-(?: +|$))+)")
_BLOCK_SCALAR = re.compile(r"(?:^|:\s+|-\s+)[|>][-+0-9]*$")
_WIDE_IN_LIST = frozenset("，】］“”")
_WIDE_OPEN = frozenset("【［")
_WIDE_CLOSE = frozenset("】］")
_WIDE_LIST = re.compile(r"[【［]([^【［】］#]*)[】］]\s*(#.*)?$")
_COMMAS = re.compile("[,，]")
_BLANK = " \t\u3000"


@dataclass
class Line:
    number: int  # 1-based
    raw: str
    code: str = ""  # the line's structure: no comment, quoted characters as QUOTED
    indent: int = 0  # leading spaces
    indent_chars: str = ""  # the leading whitespace when it holds tabs or full-width spaces
    starts_block: bool = False  # begins outside any flow collection or quoted scalar
    block_key: int | None = None  # where the line's first node begins (after `- `)
    flow_keys: list[int] = field(default_factory=list)  # each item of a flow mapping {…}
    item_column: int | None = None  # a `- ` item: where its content begins
    opens: bool = False  # ends in a key (or `-`) whose value follows on the lines below
    wide_in_flow: list[tuple[int, str]] = field(default_factory=list)


def scan(text: str) -> Iterator[Line]:
    """The lines that hold YAML structure; a block scalar's text (after `|` or `>`) and
    blank lines are passed over."""
    quote: str | None = None
    flow: list[str] = []
    block_parent: int | None = None
    opened_at = 0  # the indentation of the line where an open quote or bracket began
    for number, raw in enumerate(text.splitlines(), 1):
        spaces = len(raw) - len(raw.lstrip(" "))
        if block_parent is not None:
            if not raw.strip() or spaces > block_parent:
                continue
            block_parent = None
        if (quote or flow) and raw.strip() and spaces <= opened_at:
            # What runs on is indented deeper than where it began: this line is the next
            # key or item, and the quote or bracket was never closed (PyYAML says so).
            quote, flow = None, []
        line = Line(number, raw, indent=spaces)
        line.starts_block = quote is None and not flow
        if line.starts_block:
            opened_at = spaces
        quote = _read(line, quote, flow)
        structure = line.code.strip()
        if not structure or structure.startswith(("---", "...", "%")):
            line.starts_block = False
        lead = _LEAD.match(raw)
        whitespace = lead.group() if lead else ""
        if "\t" in whitespace or "\u3000" in whitespace:
            line.indent_chars = whitespace
        if line.starts_block:
            _shape(line)
        if quote is None and not flow and _BLOCK_SCALAR.search(line.code.rstrip()):
            block_parent, line.opens = spaces, False
        yield line


def _shape(line: Line) -> None:
    item = _ITEM.match(line.code)
    if item:
        line.item_column = len(item.group(0))
    words = line.code.split()
    while len(words) > 1 and words[-1][:1] in "&!":  # an anchor or a tag: `range: &range`
        words.pop()
    last = words[-1] if words else ""
    # `：` too: a key typed with the full-width colon still has its value below it.
    line.opens = last.endswith((":", "：")) or (last.endswith("-") and bool(item))


def _read(line: Line, quote: str | None, flow: list[str]) -> str | None:
    """Fill `line.code` and the positions found on the way; return the quote still open
    at the end of the line (a quoted scalar may run over several lines)."""
    raw, code = line.raw, []
    index = 0
    while index < len(raw):
        char = raw[index]
        if quote is not None:
            code.append(char if char == quote else QUOTED)
            # \" within double quotes, '' within single ones: the quote goes on.
            doubled = quote == "'" and char == "'" and raw[index + 1 : index + 2] == "'"
            if ((quote == '"' and char == "\\") or doubled) and index + 1 < len(raw):
                code.append(QUOTED)
                index += 1
            elif char == quote:
                quote = None
            index += 1
            continue
        if char == "#" and (index == 0 or raw[index - 1] in " \t"):
            break
        if _starts_node(code, char):
            quote = _node_start(line, code, index, char, flow)
        elif flow and char in "]}":
            flow.pop()
        elif flow and flow[-1] == "[" and char in _WIDE_IN_LIST:
            line.wide_in_flow.append((index, char))
            if char in _WIDE_CLOSE:
                flow.pop()
        code.append(char)
        index += 1
    line.code = "".join(code)
    return quote


def _node_start(line: Line, code: list[str], index: int, char: str, flow: list[str]) -> str | None:
    """At the start of a node: note a key's place, open a flow collection or a quote."""
    before = _previous(code)
    if not flow and (before is None or before == "-") and line.starts_block:
        if line.block_key is None and char != "-":
            line.block_key = index
    elif flow and flow[-1] == "{" and before in ("{", ","):
        line.flow_keys.append(index)
    if char in "[{":
        flow.append(char)
    elif flow and char in "]}":
        flow.pop()
    elif char in _WIDE_OPEN and _meant_as_list(line.raw, index):
        # Read as the list it was meant to open, so that its items and its end are checked.
        line.wide_in_flow.append((index, char))
        flow.append("[")
    elif flow and flow[-1] == "[" and char in _WIDE_IN_LIST:
        line.wide_in_flow.append((index, char))
        if char in _WIDE_CLOSE:
            flow.pop()
    return char if char in "\"'" else None


def _meant_as_list(raw: str, index: int) -> bool:
    """`【SMS】`, `［SMS, CALL］`, `【傻逼，垃圾】`: a whole value in full-width brackets, of
    plain words or of items with commas, is a list. A title like `【模板】好差评规则` or a
    label like `【重要】` is text."""
    whole = _WIDE_LIST.match(raw, index)  # in place: a line may hold thousands of them
    if whole is None:
        return False
    return whole.group(1).isascii() or bool(_COMMAS.search(whole.group(1)))


def _starts_node(code: list[str], char: str) -> bool:
    """Does a node (a key, a value, an item) begin with `char`, read after `code`? Where
    one does, a quote opens a quoted scalar and a bracket a flow collection; elsewhere they
    are text."""
    if char in _BLANK:
        return False
    before = _previous(code)
    if before is None or before in "[{,":
        return True
    return before in ":-?" and code[-1] in _BLANK


def _previous(code: list[str]) -> str | None:
    for char in reversed(code):
        if char not in _BLANK:
            return char
    return None
