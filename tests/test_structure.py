"""Where things may live (docs/architecture.md): checks import-linter cannot express."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "schema",
    "rules",
    "resolvers",
    "services",
    "models",
    "server",
    "mini_program_mock",
    "console",
)
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


# SQL as services would write it: a statement's opening words, in any string literal.
_SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|ON\s+CONFLICT)\b",
    re.IGNORECASE | re.DOTALL,
)
# What a module needs from models.db only to run SQL or branch on the dialect.
_SQL_HELPERS = {
    "fetch",
    "execute",
    "dialect",
    "prepare",
    "numbered",
    "row_source",
    "values_rows",
    "unnest_source",
}
LINE_LIMIT = 300


def _strings(tree: ast.AST) -> list[str]:
    """Every string literal, f-strings' literal parts joined as one (their holes as `_`)."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.append(
                "".join(v.value if isinstance(v, ast.Constant) else "_" for v in node.values)
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
    return found


def _sql_in(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    problems = [f"SQL text: {s[:60]!r}" for s in _strings(tree) if _SQL.search(s)]
    problems += ["a noqa: S608 (SQL built from strings)"] * source.count("noqa: S608")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "models.db":
            problems += [
                f"imports models.db.{alias.name}"
                for alias in node.names
                if alias.name in _SQL_HELPERS
            ]
    return problems


def test_services_hold_no_sql() -> None:
    """Data access lives in models/stores: services read as a use case's steps."""
    found = {
        str(path.relative_to(ROOT)): problems
        for path in sorted((ROOT / "services").rglob("*.py"))
        if (problems := _sql_in(path))
    }
    assert found == {}


def test_the_sql_check_sees_sql() -> None:
    """The check above is not vacuous: it finds each way SQL was written in services."""
    sample = ROOT / "models" / "stores" / "calls.py"
    assert any(p.startswith("SQL text") for p in _sql_in(sample))
    assert any("noqa" in p for p in _sql_in(sample))
    assert any("models.db.fetch" in p for p in _sql_in(sample))


def test_no_service_or_rules_module_is_over_the_line_limit() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for package in ("services", "rules")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > LINE_LIMIT
    }
    assert too_long == {}
