"""The scheduling package's shape: short functions, no Textual, and a timetable checker independent of the solver."""

from __future__ import annotations

import ast
from pathlib import Path

import coordinator_tui.services.clinics.scheduling as scheduling
from coordinator_tui.services.clinics import timetable_checker

PACKAGE = Path(scheduling.__file__).parent
PACKAGE_NAME = scheduling.__name__
MAX_FUNCTION_LINES = 80


def _modules() -> list[Path]:
    return sorted(PACKAGE.glob("*.py"))


def _imported_modules(tree: ast.AST, package: str) -> set[str]:
    """Every module ``tree`` imports (relative imports resolved against ``package``), inside functions too."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                found.add(node.module)
    return found


def test_the_package_has_several_modules() -> None:
    names = {path.stem for path in _modules()}
    assert {"model", "measures", "heuristics", "bounds", "cpsat_model", "search", "explanations"} <= names


def test_no_function_in_the_package_is_longer_than_80_lines() -> None:
    too_long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1 if node.end_lineno is not None else 0
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.name}:{node.lineno} {node.name} ({lines} lines)")
    assert too_long == []


def test_no_module_of_the_package_imports_textual() -> None:
    for path in _modules():
        imported = _imported_modules(ast.parse(path.read_text(encoding="utf-8")), PACKAGE_NAME)
        assert not any(name == "textual" or name.startswith("textual.") for name in imported), path.name


def test_the_model_imports_nothing_from_the_solver() -> None:
    """The instance and result model (what the checker reads) stands on its own."""
    tree = ast.parse((PACKAGE / "model.py").read_text(encoding="utf-8"))
    imported = _imported_modules(tree, PACKAGE_NAME)
    assert not any(name.startswith(PACKAGE_NAME) or name.startswith("ortools") for name in imported), imported


def test_the_timetable_checker_imports_nothing_from_the_solver() -> None:
    """The independent checker reads only the instance and result model: no solver module, no solver name."""
    path = Path(timetable_checker.__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    model_names = set(vars(scheduling.model))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert not alias.name.startswith(PACKAGE_NAME) or alias.name == f"{PACKAGE_NAME}.model", alias.name
                assert not alias.name.startswith("ortools"), alias.name
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            assert not node.module.startswith("ortools"), node.module
            if node.module == PACKAGE_NAME.rsplit(".", 1)[0]:
                assert all(alias.name != "scheduling" for alias in node.names), "imports the scheduling package"
            elif node.module.startswith(PACKAGE_NAME):
                assert node.module in (PACKAGE_NAME, f"{PACKAGE_NAME}.model"), node.module
                outside = [alias.name for alias in node.names if alias.name not in model_names]
                assert outside == [], f"names from the solver: {outside}"
