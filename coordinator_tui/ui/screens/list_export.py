"""Save the list a screen shows to a file (Ctrl+L on the patients, the caseload, who's coming and a clinic day's
timetable): CSV that Excel opens, or an Excel workbook, written owner-only.

A modal: what will be written (the list's title with its filters and how many rows), the file (prefilled with the
workstation's export folder from the settings and a name of the list and the day, never a person's name), and the
format, chosen by the file's ending (Ctrl+T switches between .csv and .xlsx). Enter writes it off the UI thread and
closes the dialog with the path; the screen behind says where it went, and that folder is where the next export
starts (remembered in the settings, as after an itinerary export). A file that cannot be written (a folder that
does not exist and cannot be made, no permission, a name without .csv / .xlsx) is one line at the top, and the
typed path stays as it was typed. The dialog says, every time, that the file holds personal data and how to share it.

The rows come from a use case of ``services.list_exports`` given by the screen (built from what the screen shows);
writing is ``export.lists.write_list``. Internal notes are never in a list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static

from coordinator_tui.export.atomic import ExportError
from coordinator_tui.export.lists import ListTable, default_file_name, format_of, with_format, write_list
from coordinator_tui.ui.background import RunsUseCases

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.ui.screens.base import CoordinatorScreen

SAVE_LIST_KEY = "ctrl+l"
FORMAT_HINT = "Enter saves. The ending chooses the format: .csv opens in Excel, .xlsx is a workbook (^t switches)."
#: Said every time: a list of patients is personal data, whoever opens the file.
SHARING_NOTE = (
    "⚠ The file holds patients' personal data. It is readable by you only: share it only within the care team, by "
    "secure email or the team's restricted drive, and delete copies you no longer need."
)


@dataclass(frozen=True)
class ListWritten:
    """What writing the list came to: the path written, or one line saying why not."""

    path: Path | None
    rows: int = 0
    error: str = ""


def write_list_file(database: Database, table: ListTable, path: Path) -> ListWritten:
    """Write the list (a use case: the database is not needed, the file is written off the UI thread)."""
    try:
        return ListWritten(write_list(table, path), len(table.rows))
    except ExportError as exc:
        return ListWritten(None, error=str(exc))


class ListExportScreen(ModalScreen[ListWritten | None], RunsUseCases):
    """Save one list to a file; the result is what was written, or None if closed."""

    CSS_PATH = "list_export.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "save", "Save", key_display="Enter"),
        Binding("ctrl+s", "save", "Save", show=False),
        Binding("ctrl+t", "switch_format", ".csv / .xlsx", key_display="^t"),
        Binding("escape", "close", "Close", key_display="Esc"),
    ]
    AUTO_FOCUS = "#list-file"

    def __init__(self, rows: Callable[[Database], ListTable], what: str) -> None:
        super().__init__()
        self.rows_use_case = rows
        self.what = what  # e.g. "the caseload": the dialog's title until the rows are read
        self.table: ListTable | None = None
        self.saving = False
        self._prefilled = ""

    def compose(self) -> ComposeResult:
        folder = self.coordinator.settings.export_path()
        self._prefilled = f"{folder}{'/' if not str(folder).endswith('/') else ''}"
        with Vertical(id="list-dialog") as dialog:
            dialog.border_title = f"Save {self.what} to a file"
            yield Static("", id="list-message")
            yield Static("Reading the list…", id="list-summary")
            with Horizontal(id="list-row"):
                yield Label("File", id="list-label")
                yield Input(self._prefilled, id="list-file", compact=True)
            yield Static(FORMAT_HINT, id="list-hint")
            yield Static(SHARING_NOTE, id="list-sharing")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.run_use_case(
            self.rows_use_case, self._loaded, failed="Nothing to save", on_error=self.show_message, group="list-rows"
        )

    def _loaded(self, table: ListTable) -> None:
        self.table = table
        columns = ", ".join(table.headers)
        self.query_one("#list-summary", Static).update(f"{table.summary()}\nColumns: {columns}")
        field = self.query_one("#list-file", Input)
        if field.value == self._prefilled:  # nothing typed yet: name the file after the list
            field.value = self._prefilled + default_file_name(table)
            field.cursor_position = len(field.value)

    @property
    def path_text(self) -> str:
        return self.query_one("#list-file", Input).value.strip()

    def show_message(self, message: str) -> None:
        widget = self.query_one("#list-message", Static)
        widget.update(f"✗ {message}" if message else "")
        widget.set_class(bool(message), "-shown")

    def action_switch_format(self) -> None:
        field = self.query_one("#list-file", Input)
        if not field.value.strip():
            return
        current = field.value.strip()
        field.value = with_format(current, "xlsx" if current.lower().endswith(".csv") else "csv")
        field.cursor_position = len(field.value)

    @on(Input.Submitted, "#list-file")
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        if self.table is None:
            self.show_message("The list is still being read: try again in a moment.")
            return
        if not self.path_text:
            self.show_message("Enter the file to write, ending in .csv or .xlsx.")
            return
        path = Path(self.path_text).expanduser()
        try:
            format_of(path)
        except ExportError as exc:
            self.show_message(str(exc))
            return
        self.show_message("")
        self.saving = True
        table = self.table
        self.run_use_case(
            lambda database: write_list_file(database, table, path),
            self._written,
            failed="Not saved",
            on_error=self._failed,
            group="list-write",
            exclusive=True,
        )

    def _failed(self, message: str) -> None:
        self.saving = False
        self.show_message(message)

    def _written(self, outcome: ListWritten) -> None:
        self.saving = False
        if outcome.error:
            self.show_message(outcome.error)
            return
        self.dismiss(outcome)

    def action_close(self) -> None:
        self.dismiss(None)


def saved_text(outcome: ListWritten) -> str:
    """What the screen behind says once the list is written."""
    rows = "row" if outcome.rows == 1 else "rows"
    return f"Saved {outcome.rows} {rows} to {outcome.path}"


def save_list(screen: CoordinatorScreen, rows: Callable[[Database], ListTable], what: str) -> None:
    """Open the dialog over ``screen`` for the list ``rows`` builds; once written, the screen says where, and the
    folder is where the next export starts (as after an itinerary export: ``config.remember_export_dir``)."""

    def done(outcome: ListWritten | None) -> None:
        if outcome is not None and outcome.path is not None:
            screen.notify(saved_text(outcome), title="List saved", timeout=10)
            remember_folder(screen, outcome.path.parent)

    screen.app.push_screen(ListExportScreen(rows, what), done)


def remember_folder(screen: CoordinatorScreen, folder: Path) -> None:
    """Keep ``folder`` as the export folder, for this session and (in the settings file) the next; a settings file
    that cannot be written is a warning, the list itself was written."""
    from coordinator_tui.config import remember_export_dir, settings_file

    settings = screen.coordinator.settings
    value = str(folder.absolute())
    if settings.export_dir == value:
        return
    settings.export_dir = value

    def saved(problem: str | None) -> None:
        if problem:
            screen.notify(problem[:1].upper() + problem[1:] + ".", title="Settings", severity="warning")

    screen.run_use_case(
        lambda _database: remember_export_dir(value, settings_file()), saved, failed="Settings", group="export-folder"
    )
