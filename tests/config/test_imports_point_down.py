"""Imports point down (CONVENTIONS 13): the domain apps never import the audience apps, and the
audience apps do not import each other. A rule that two audiences need lives in a domain app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ("petitions", "routing", "notifications", "search", "alerts")
AUDIENCE = ("portal", "backoffice", "api")


def imported_apps(path: Path) -> set[tuple[int, str]]:
    """(line, first package) of every import in the module, at any depth (function-level too)."""
    found: set[tuple[int, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, alias.name.split(".")[0]) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


def arrows_up(app: str, forbidden: set[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for path in sorted((ROOT / app).rglob("*.py"))
        for line, target in sorted(imported_apps(path))
        if target in forbidden
    ]


@pytest.mark.parametrize("app", DOMAIN)
def test_a_domain_app_imports_no_audience_app(app: str) -> None:
    assert arrows_up(app, set(AUDIENCE)) == []


@pytest.mark.parametrize("app", AUDIENCE)
def test_an_audience_app_imports_no_other_audience_app(app: str) -> None:
    assert arrows_up(app, set(AUDIENCE) - {app}) == []


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from portal.views import x\n    import api.views\n", encoding="utf-8")
    assert imported_apps(module) == {(2, "portal"), (3, "api")}
