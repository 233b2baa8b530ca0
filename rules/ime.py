"""Slips of a Chinese input method (IME) in a policy file, found in the raw text line by
line, before YAML reads it: a full-width colon after a key (`level：5`), no space after the
colon (`level:5`), tabs or full-width spaces in the indentation, a key indented to a column
no other key uses, and full-width commas, brackets or quotes in a flow list (`[PAD，QR]`).

PyYAML reports most of these as "could not find expected ':'" on the line after, or not at
all (`[PAD，QR]` is one item): each slip here says what was typed and what to type instead,
on its own line and column. Chinese text legitimately holds `：` and `，`, so they count only
where YAML expects a separator: after a key at the start of a line or a flow mapping's
item, or between the items of a flow list."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rules.ime_lines import Line, scan
from rules.wording import Said

_KEY = r"[A-Za-z_][A-Za-z0-9_-]*"
_WIDE_COLON = re.compile(rf"({_KEY})[ \t]*：")
# A key, its colon and something right after it; `//` is a URL's (http://…).
_NO_SPACE = re.compile(rf"({_KEY}):(?![\s/:]|$)")
_ASCII_KEY = re.compile(rf"{_KEY}:(\s|$)")
UNKNOWN = -1  # the level of a line indented with tabs
_VALUE = re.compile(r"[^,}]*")  # what follows the colon, up to the end of a flow item
# What a full-width character in a flow list stands for: its name and the character to type.
_WIDE_PUNCTUATION = {
    "，": ("逗号", "comma", ", "),
    "【": ("方括号", "bracket", "["),
    "［": ("方括号", "bracket", "["),
    "】": ("方括号", "bracket", "]"),
    "］": ("方括号", "bracket", "]"),
    "“": ("引号", "quote", '"'),
    "”": ("引号", "quote", '"'),
}


# Each edit is (start, end, typed right) on the slip's line, 0-based.
Mend = tuple[tuple[int, int, str], ...]


@dataclass(frozen=True)
class Slip:
    line: int  # 1-based, as an editor counts
    column: int  # 1-based, in characters
    said: Said
    mend: Mend = ()  # what the typist meant, when there is one way to mean it


def mended(text: str, found: list[Slip]) -> str:
    """`text` with each slip `found` in it that has one right spelling typed right
    (`level：5` as `level: 5`, `[PAD，QR]` as `[PAD, QR]`); no line moves, so what is found
    in it is found on the same lines of `text`. Indentation is left as it is: which level
    was meant cannot be told."""
    if not any(slip.mend for slip in found):
        return text
    edits: dict[int, list[tuple[int, int, str]]] = {}
    for slip in found:
        edits.setdefault(slip.line, []).extend(slip.mend)
    lines = text.splitlines(keepends=True)
    for number, changes in edits.items():
        line = lines[number - 1]
        for start, end, right in sorted(changes, reverse=True):
            line = line[:start] + right + line[end:]
        lines[number - 1] = line
    return "".join(lines)


def slips(text: str) -> list[Slip]:
    """Every slip in `text`, in the order of the file."""
    found: list[Slip] = []
    levels: list[int] = []  # the indentation of each block open above this line
    opened = True  # the line above ends in a key with its value below (`levels:`)
    for line in scan(text):
        # Deeper than a finished line and not a key: the text of a value running on.
        running_on = bool(levels) and line.indent > levels[-1] and not opened
        found += _key_slips(line, running_on) + _flow_slips(line)
        if not line.starts_block:
            continue
        if line.indent_chars:
            # How deep a tab goes cannot be told: the lines below are not blamed for it.
            found.append(_indent_chars(line))
            levels.append(UNKNOWN)
        else:
            slip = _misplaced(line, levels, opened)
            found += [slip] if slip else []
        if levels[-1] == UNKNOWN:
            opened = True
            continue
        if line.item_column is not None:
            levels.append(line.item_column)
        opened = line.opens
    return found


def _key_slips(line: Line, running_on: bool) -> list[Slip]:
    found: list[Slip] = []
    block = [] if line.block_key is None or running_on else [line.block_key]
    for start in block + line.flow_keys:
        in_flow = start != line.block_key
        # Matched in place, not on a copy of the rest: a line may hold thousands of keys.
        wide = _WIDE_COLON.match(line.code, start)
        if wide:
            said = _wide_colon(line.number, wide.group(1))
            mend = ((wide.end() - 1, wide.end(), ": "),)
            found.append(Slip(line.number, wide.end(), said, mend))
            continue
        bare = _NO_SPACE.match(line.code, start)
        if bare:
            column = bare.end()
            said = _no_space(line.number, bare.group(1), _value_typed(line, column, in_flow))
            found.append(Slip(line.number, column, said, ((column, column, " "),)))
    return found


def _value_typed(line: Line, column: int, in_flow: bool) -> str:
    """The value after a key's colon as typed, to show the key with it: up to the end of
    the line (without its comment), or of the flow item; a long one is cut short."""
    end = len(line.code)
    if in_flow:
        item = _VALUE.match(line.code, column)
        end = item.end() if item else end
    typed = line.raw[column:end].strip()
    return typed if len(typed) <= 20 else typed[:20] + "…"


def _wide_colon(number: int, key: str) -> Said:
    return Said(
        f"第{number}行：“{key}”后面的冒号是全角的“：”，请改为半角的“:”并在后面加一个空格"
        f"（写成“{key}: ”）",
        f"line {number}: the colon after {key!r} is the full-width '：'; type the half-width "
        f"':' followed by a space ('{key}: ')",
    )


def _no_space(number: int, key: str, value: str) -> Said:
    return Said(
        f"第{number}行：“{key}:”的冒号后面少了一个空格，请写成“{key}: {value}”",
        f"line {number}: a space is missing after the colon of '{key}:'; write '{key}: {value}'",
    )


def _flow_slips(line: Line) -> list[Slip]:
    """One slip per kind of character on the line, at its first one: `【SMS】` is one
    bracket slip, not two."""
    kinds: dict[str, list[tuple[int, str]]] = {}
    for index, char in line.wide_in_flow:
        kinds.setdefault(_WIDE_PUNCTUATION[char][0], []).append((index, char))
    return [_flow_slip(line.number, found) for found in kinds.values()]


def _flow_slip(number: int, found: list[tuple[int, str]]) -> Slip:
    typed = "".join(dict.fromkeys(char for _, char in found))
    wanted = "".join(dict.fromkeys(_WIDE_PUNCTUATION[char][2] for _, char in found)).strip()
    name_zh, name_en, _ = _WIDE_PUNCTUATION[found[0][1]]
    if name_zh == "引号":
        said = Said(
            f'第{number}行：列表里用了中文引号 {" ".join(typed)} ，请改为英文双引号 "，'
            "或者去掉引号",
            f"line {number}: the list holds Chinese quotes '{typed}'; use the plain double "
            'quote " or none',
        )
    else:
        space = "，后面加一个空格" if name_zh == "逗号" else ""
        said = Said(
            f"第{number}行：列表里的{name_zh}是全角的“{typed}”，请改为半角的“{wanted}”{space}",
            f"line {number}: the {name_en} in the list is the full-width '{typed}'; type the "
            f"half-width '{wanted}'",
        )
    mend = tuple((index, index + 1, _WIDE_PUNCTUATION[char][2]) for index, char in found)
    return Slip(number, found[0][0] + 1, said, mend)


def _indent_chars(line: Line) -> Slip:
    lead = line.indent_chars
    column = next(index for index, char in enumerate(lead) if char != " ") + 1
    zh, en = {
        (True, True): ("用了 Tab 键（制表符）和全角空格", "holds tabs and full-width spaces"),
        (False, True): ("用了全角空格", "holds a full-width space"),
        (True, False): ("用了 Tab 键（制表符）", "holds a tab"),
    }[("\t" in lead, "\u3000" in lead)]
    if "\t" in lead and " " in lead:
        zh, en = "混用了 Tab 键（制表符）和空格", "mixes tabs and spaces"
    return Slip(
        line.number,
        column,
        Said(
            f"第{line.number}行：行首的缩进{zh}，请全部改为半角空格（每深一层多 2 个空格）",
            f"line {line.number}: the indentation {en}; indent with spaces only (2 more for "
            "each level)",
        ),
    )


def _misplaced(line: Line, levels: list[int], opened: bool) -> Slip | None:
    """The line's key where no key can be: deeper than a finished line above it, or back at
    a column between two levels. `levels` is left as the lines below see it."""
    column = line.indent
    unknown = bool(levels) and levels[-1] == UNKNOWN
    if not levels or column > levels[-1]:
        if levels and not opened and not unknown and _ASCII_KEY.match(line.code[column:]):
            # Its level anyway: the keys below it line up with it, and are not slips too.
            slip = _over_indented(line, levels[-1])
            levels.append(column)
            return slip
        if opened or not levels or unknown:
            levels.append(column)
        return None
    while levels and (levels[-1] > column or _below_unknown(levels, column)):
        levels.pop()
    if levels and levels[-1] in (column, UNKNOWN):
        levels[-1] = column
        return None
    above = list(levels)
    # Which of the two levels was meant cannot be told: the lines below are not blamed.
    levels.append(UNKNOWN)
    return _between_levels(line, above)


def _below_unknown(levels: list[int], column: int) -> bool:
    """The unknown level of a tab-indented line lies deeper than the level under it: a
    line at that level or above closes it."""
    return levels[-1] == UNKNOWN and len(levels) > 1 and levels[-2] >= column


def _over_indented(line: Line, sibling: int) -> Slip:
    n = line.indent
    return Slip(
        line.number,
        n + 1,
        Said(
            f"第{line.number}行：这个键缩进了 {n} 个空格，比上一行的键（{sibling} 个空格）多，"
            f"可上一行的键已经写了值。同一层的键要对齐：请改为 {sibling} 个空格；如果这一行"
            "本该写在上一行的键下面，就删掉上一行冒号后面的值",
            f"line {line.number}: this key is indented {n} spaces, more than the key above "
            f"({sibling}), which already has its value. Keys of one level line up: indent it "
            f"{sibling} spaces; if it belongs under the key above, delete that key's value",
        ),
    )


def _between_levels(line: Line, above: list[int]) -> Slip:
    n = line.indent
    shown_zh = "、".join(map(str, above)) or "0"
    shown_en = ", ".join(map(str, above)) or "0"
    return Slip(
        line.number,
        n + 1,
        Said(
            f"第{line.number}行：这一行缩进了 {n} 个空格，和上面任何一层（{shown_zh} 个空格）"
            "都对不上；同一层的键要对齐，每深一层多缩进 2 个空格",
            f"line {line.number}: this line is indented {n} spaces, which matches no level "
            f"above it ({shown_en} spaces); keys of one level line up, each deeper level 2 "
            "spaces more",
        ),
    )
