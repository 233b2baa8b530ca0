"""Where things may live (docs/architecture.md): checks import-linter cannot express."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schema", "rules", "resolvers", "services", "models", "server", "mini_program_mock")
ENGINE_MODULES = {"durable", "durable_rules_engine"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_compiler_imports_durable_rules() -> None:
    """Every module, present and future (the import-linter contract lists them by name)."""
    importing = sorted(
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if _imports(path) & ENGINE_MODULES
    )
    assert importing == ["rules/compiler.py"]
