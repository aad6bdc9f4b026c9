"""Imports go one way (README, Layout): rewards <- data <- eval <- recipes <- experiments."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "rewards": set(),
    "data": {"rewards"},
    "eval": {"data", "rewards"},
    "recipes": {"data", "rewards", "eval"},
    "experiments": {"data", "rewards", "eval", "recipes"},
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_the_layers_below_it(package):
    offending = {
        str(path.relative_to(ROOT)): sorted(_imports(path) - ALLOWED[package] - {package})
        for path in (ROOT / package).rglob("*.py")
    }
    assert not {k: v for k, v in offending.items() if v}
