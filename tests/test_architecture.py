"""Dependencies point inward: the pure core imports no framework, database or network code."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "rapport"

# What each core package may import besides the standard library.
ALLOWED = {
    "domain": {"rapport.domain"},
    "policy": {"rapport.domain", "rapport.policy", "cel", "pydantic", "pydantic_core", "ruamel"},
    "engine": {"rapport.domain", "rapport.policy", "rapport.engine", "cel"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def is_allowed(module: str, allowed: set[str]) -> bool:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return True
    return any(module == a or module.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_core_package_imports_only_inward(package: str) -> None:
    offenders = {
        f"{path.relative_to(SRC)}: {module}"
        for path in (SRC / package).rglob("*.py")
        for module in imported_modules(path)
        if not is_allowed(module, ALLOWED[package])
    }
    assert not offenders, f"the core must not import adapters or frameworks: {sorted(offenders)}"


def test_the_architecture_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom rapport.store import models\n", encoding="utf-8")
    found = {m for m in imported_modules(bad) if not is_allowed(m, ALLOWED["engine"])}
    assert found == {"sqlalchemy", "rapport.store"}
