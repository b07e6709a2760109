"""Import a spreadsheet from the app (the command palette's "Import a spreadsheet"): patients, family contacts,
professionals or care teams from a .csv or .xlsx file, as ``coordinator-tui import`` does.

A modal: what is imported (^t changes the kind), the file's path, then Enter checks the file without writing
anything (the dry run: the summary, every row problem, the review list and the conflicts, in a scrolling panel).
^s imports the file as checked, in one transaction off the UI thread, with a progress bar; a file with problems is
not imported (the first line says so). A file that cannot be read, or lacks a required column, is one line at the
top; the typed path stays. Checking and importing are ``services.imports`` use cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Label, ProgressBar, Static

from coordinator_tui.services.imports.columns import ImportKind, MissingColumnsError
from coordinator_tui.services.imports.planning import ImportPlan, plan_file, plan_lines
from coordinator_tui.services.imports.reading import ImportFileError
from coordinator_tui.ui.background import RunsUseCases, coordinator_app

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.services.imports.applying import ImportResult

KINDS = list(ImportKind)
HINT = "Enter checks the file (nothing is written). ^s imports it once checked. ^t changes what is imported."


@dataclass(frozen=True)
class Checked:
    """A file checked: its plan, or one line saying why it could not be read."""

    plan: ImportPlan | None
    error: str = ""


def check_file(database: Database, kind: ImportKind, path: Path) -> Checked:
    """The dry run as a use case: the plan, or why the file cannot be imported."""
    try:
        return Checked(plan_file(database, kind, path))
    except (ImportFileError, MissingColumnsError) as exc:
        return Checked(None, f"{exc}; nothing imported")


class ImportScreen(ModalScreen["ImportResult | None"], RunsUseCases):
    """Check a spreadsheet, then import it; the result is what was imported, or None if closed."""

    CSS_PATH = "spreadsheet_import.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "check", "Check", key_display="Enter"),
        Binding("ctrl+s", "import_file", "Import", key_display="^s"),
        Binding("ctrl+t", "next_kind", "Kind", key_display="^t"),
        Binding("escape", "close", "Close", key_display="Esc"),
    ]
    AUTO_FOCUS = "#import-file"

    def __init__(self, kind: ImportKind = ImportKind.PATIENTS) -> None:
        super().__init__()
        self.kind = kind
        self.plan: ImportPlan | None = None
        self.checked_for: tuple[ImportKind, str] | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="import-dialog") as dialog:
            dialog.border_title = "Import a spreadsheet"
            yield Static("", id="import-message")
            yield Static(self._kind_text(), id="import-kind")
            with Horizontal(id="import-row"):
                yield Label("File", id="import-label")
                yield Input("", placeholder="path of a .csv or .xlsx file", id="import-file", compact=True)
            yield Static(HINT, id="import-hint")
            with VerticalScroll(id="import-plan"):
                yield Static("", id="import-summary")
            yield ProgressBar(id="import-progress", show_eta=False)
        yield Footer(compact=True)

    def _kind_text(self) -> str:
        return f"Importing: {self.kind.value}   (^t: {', '.join(k.value for k in KINDS)})"

    @property
    def path_text(self) -> str:
        return self.query_one("#import-file", Input).value.strip()

    def show_message(self, message: str) -> None:
        widget = self.query_one("#import-message", Static)
        widget.update(f"✗ {message}" if message else "")
        widget.set_class(bool(message), "-shown")

    def _forget_plan(self) -> None:
        self.plan = None
        self.checked_for = None
        self.query_one("#import-summary", Static).update("")

    def action_next_kind(self) -> None:
        if self.busy:
            return
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        self.query_one("#import-kind", Static).update(self._kind_text())
        self._forget_plan()

    @on(Input.Changed, "#import-file")
    def _path_changed(self) -> None:
        if self.checked_for is not None and self.checked_for != (self.kind, self.path_text):
            self._forget_plan()

    @on(Input.Submitted, "#import-file")
    def _submitted(self) -> None:
        self.action_check()

    def action_check(self) -> None:
        if self.busy:
            return
        if not self.path_text:
            self.show_message("Enter the path of the .csv or .xlsx file to import.")
            return
        self.show_message("")
        self.busy = True
        kind, text, path = self.kind, self.path_text, Path(self.path_text).expanduser()
        self.query_one("#import-summary", Static).update("Checking the file…")
        self.run_use_case(
            lambda database: check_file(database, kind, path),
            lambda checked: self._checked(checked, kind, text),
            failed="Not checked",
            on_error=self._failed,
            group="import",
        )

    def _checked(self, checked: Checked, kind: ImportKind, text: str) -> None:
        self.busy = False
        if checked.plan is None:
            self._forget_plan()
            self.show_message(checked.error)
            return
        self.plan, self.checked_for = checked.plan, (kind, text)
        lines = plan_lines(checked.plan, every_record=False)
        if checked.plan.problems:
            count = len(checked.plan.problems)
            self.show_message(f"{count} problem{'s' if count != 1 else ''} in the file: correct them and check again")
        else:
            lines.append("Press ^s to import it.")
        self.query_one("#import-summary", Static).update("\n".join(lines))

    def _failed(self, message: str) -> None:
        self.busy = False
        self.show_message(message)

    def action_import_file(self) -> None:
        if self.busy:
            return
        plan = self.plan
        if plan is None or self.checked_for != (self.kind, self.path_text):
            self.show_message("Check the file first (Enter): nothing is imported unchecked.")
            return
        if plan.problems:
            self.show_message(
                f"{len(plan.problems)} problems in the file: nothing is imported until they are corrected"
            )
            return
        self.show_message("")
        self.busy = True
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=max(len(plan.records), 1), progress=0)
        bar.add_class("-shown")

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(bar.update, total=max(total, 1), progress=done)

        def apply(database: Database) -> ImportResult:
            from coordinator_tui.services.imports.applying import apply_plan

            return apply_plan(database, plan, progress=progress)

        self.run_use_case(apply, self._imported, failed="Not imported", on_error=self._failed, group="import")

    def _imported(self, result: ImportResult) -> None:
        self.busy = False
        self.dismiss(result)

    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(None)


def open_import(screen: Screen[object]) -> None:
    """Open the dialog over ``screen``; once imported, the app says what was done and the screen behind (the
    patient list, the professionals...) reloads."""

    def done(result: ImportResult | None) -> None:
        if result is not None:
            screen.app.notify(result.summary(), title="Imported", timeout=12)
            coordinator_app(screen).reload_front_screen()  # the list behind shows what was imported

    screen.app.push_screen(ImportScreen(), done)
