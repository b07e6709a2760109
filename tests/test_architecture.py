"""The shape of the package, checked from its source with ``ast``: no import loops, a domain that never imports
Textual, a UI that reaches the data only through use cases, and SQL that stays portable.

Imports inside functions count (they still make a loop at run time); imports under ``if TYPE_CHECKING:`` do not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.safety_helpers import REPO

PACKAGE = REPO / "coordinator_tui"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    return skipped


def imported_names(path: Path) -> Iterator[str]:
    """Every module name an import statement of ``path`` names (relative imports resolved), TYPE_CHECKING aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    """Which of the package's modules each module imports (``from pkg import mod`` counts as importing mod)."""
    return {name: {m for m in imported_names(path) if m in MODULES and m != name} for name, path in MODULES.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


def test_the_cycle_finder_finds_a_loop_through_a_function_level_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_the_package_imports_itself_back() -> None:
    assert import_cycles(import_graph()) == []


def _is_domain(name: str) -> bool:
    return not (name.startswith("coordinator_tui.ui") or name == "coordinator_tui.commands.app")


@pytest.mark.parametrize("name", [name for name in MODULES if _is_domain(name)])
def test_the_domain_never_imports_textual(name: str) -> None:
    assert not [m for m in imported_names(MODULES[name]) if m.split(".")[0] == "textual"]


UI_MODULES = [name for name in MODULES if name.startswith("coordinator_tui.ui")]
# What only the data layer does: a unit of work, SQL, or reaching past a use case for the open database.
DATA_CALLS = {"session", "read_session", "read", "write", "run_db", "execute", "exec"}
DATA_PACKAGES = {"sqlalchemy", "sqlmodel", "sqlite3"}
# The app owns the open database (it opens it in the background); the worker helper hands it to a use case. Elsewhere
# the app is reached through the typed accessor, never as ``self.app.database  # type: ignore``.
HOLDS_THE_DATABASE = {"coordinator_tui.ui.app", "coordinator_tui.ui.background"}


@pytest.mark.parametrize("name", UI_MODULES)
def test_no_ui_module_opens_a_database_session(name: str) -> None:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DATA_CALLS:
            owner = ast.unparse(node.func.value)
            if node.func.attr in {"session", "read_session", "run_db"} or "database" in owner:
                found.append(f"line {node.lineno}: {ast.unparse(node.func)}(…)")
        untyped = isinstance(node, ast.Attribute) and ast.unparse(node).endswith("app.database")
        if untyped and name not in HOLDS_THE_DATABASE:
            found.append(
                f"line {node.lineno}: {ast.unparse(node)} (the typed accessor is ui.background.coordinator_app)"
            )
    found += [m for m in imported_names(MODULES[name]) if m.split(".")[0] in DATA_PACKAGES]
    assert found == [], "a screen reaches the data through a use case (ui/background.py)"


def test_no_ui_module_imports_a_screen_from_a_widget() -> None:
    widgets = [name for name in MODULES if name.startswith("coordinator_tui.ui.widgets")]
    found = {
        name: [m for m in imported_names(MODULES[name]) if m.startswith("coordinator_tui.ui.screens")]
        for name in widgets
    }
    assert {name: screens for name, screens in found.items() if screens} == {}


def test_every_table_of_the_app_is_its_own_data_table() -> None:
    """Textual's ``DataTable`` is used only through ``ui/widgets/data_table.py``, which redraws cells drawn before
    their columns were measured (on a busy machine they stayed cut to the header's width)."""
    found = [
        name
        for name, path in MODULES.items()
        if name != "coordinator_tui.ui.widgets.data_table" and "textual.widgets.DataTable" in imported_names(path)
    ]
    assert found == []


# The file-safety code works on SQLite files as files (backups, restore, the start-up checks): the one place
# outside db.py where the standard library's sqlite3 is used.
SQLITE_FILE_CODE = {"coordinator_tui.db", "coordinator_tui.db_file", "coordinator_tui.services.safety.backup"}
SQLITE_ONLY = ("pragma", "sqlite_master", "julianday", "strftime(", "group_concat", "ifnull(")


@pytest.mark.parametrize("name", [name for name in MODULES if name not in SQLITE_FILE_CODE])
def test_sql_stays_portable_outside_the_sqlite_file_code(name: str) -> None:
    path = MODULES[name]
    assert "sqlite3" not in {m.split(".")[0] for m in imported_names(path)}
    if ".migrations." in name:
        return  # migrations branch on the dialect where they must (the audit triggers)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    strings = [
        node.value.lower()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and not _is_docstring(tree, node)
    ]
    assert [s for s in strings if any(word in s for word in SQLITE_ONLY)] == []


def _is_docstring(tree: ast.AST, constant: ast.Constant) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and first.value is constant:
                return True
    return False


SCREEN_MODULES = [name for name in MODULES if name.startswith("coordinator_tui.ui.screens.")]


@pytest.mark.parametrize("name", SCREEN_MODULES)
def test_screen_css_lives_in_tcss_files(name: str) -> None:
    """A screen's CSS is in a ``.tcss`` file beside it (``CSS_PATH``); ``DEFAULT_CSS`` is for reusable widgets."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    inline = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id in {"DEFAULT_CSS", "CSS"} for t in node.targets)
    ]
    assert inline == [], f"{name} has inline CSS at lines {inline}: move it to a .tcss file (CSS_PATH)"
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "CSS_PATH" for t in node.targets):
            assert isinstance(node.value, ast.Constant)
            assert (MODULES[name].parent / str(node.value.value)).is_file()
