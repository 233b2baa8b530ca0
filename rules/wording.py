"""What a policy problem says, in the policy staff's Chinese and in English (HCP_LANG=en),
and how a key path is written in either: `levels[2].tags[3]`, counting from 1 as the policy
staff count the items of a list."""

from __future__ import annotations

from dataclasses import dataclass

DocPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Said:
    """One message in both languages."""

    zh: str
    en: str

    def after(self, path: DocPath) -> Said:
        """The message behind the key path it is about: `rating.reminder.via：…`."""
        return Said(f"{dotted(path, 'zh')}：{self.zh}", f"{dotted(path, 'en')}: {self.en}")


class Refusal(ValueError):
    """A value a policy may not hold, said in both languages. A ValueError, so pydantic
    reports it at the key it was found under; its English text is what logs and plain
    ValueError handlers see."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.said = Said(zh, en)


def dotted(path: DocPath, lang: str) -> str:
    """`levels[2].tags[3]`: the keys as written in the file, list items counted from 1."""
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    if out:
        return out
    return "文件最上层" if lang == "zh" else "(top level)"
