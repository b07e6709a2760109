"""A patient's history (the audit log), read-only: when, who, what, and which fields changed, newest first.

Opened from the patient record. The list shows one row per audited change; the panel below shows the
highlighted change field by field (before → after). Nothing here can change or delete an entry.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from coordinator_tui.services.safety.audit_view import AuditRow, PatientHistory, patient_history_view
from coordinator_tui.ui.screens.base import CoordinatorScreen
from coordinator_tui.ui.widgets.data_table import DataTable
from coordinator_tui.ui.widgets.row_table import fit
from coordinator_tui.ui.widgets.tables import Column, refit_columns

#: The history's columns (``fit_columns``): on a narrow terminal the fields changed give way (the panel lists them).
HISTORY_COLUMNS = (
    Column("When", 16),
    Column("Who", 16, 8),  # a longer name (with its database role) is whole in the panel below
    Column("Action", 12),
    Column("What", 44, 24, grows_first=True),
    Column("Fields", 40, 10, drop=1),
)


class AuditTable(DataTable[str]):
    HELP_TITLE = "History"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)


class AuditScreen(CoordinatorScreen):
    """Read-only history of one patient's record. Esc goes back."""

    CSS_PATH = "audit.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", key_display="Esc"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, patient_id: int) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.rows: list[AuditRow] = []
        self.detail_row: AuditRow | None = None  # the change shown in the panel below the list
        self.screen_title = "History"

    def compose_body(self) -> ComposeResult:
        yield Static("Loading…", id="audit-summary")
        yield AuditTable(id="audit-table")
        with VerticalScroll(id="audit-detail-scroll"):
            yield Static("", id="audit-detail")

    def on_mount(self) -> None:
        self.columns: list[tuple[str, int]] = []
        self._fit_columns(self.app.size.width)
        self.query_one(AuditTable).focus()
        self.reload()

    def _fit_columns(self, width: int) -> bool:
        """Columns for a terminal ``width`` wide (the panel below shows the highlighted change whole); True when
        they changed."""
        fitted = refit_columns(self.query_one(AuditTable), HISTORY_COLUMNS, width, self.columns, lower_keys=True)
        if fitted is None:
            return False
        self.columns = fitted
        return True

    def on_resize(self) -> None:
        if self._fit_columns(self.app.size.width) and self.rows:
            self._fill(self.rows)

    def reload(self) -> None:
        """Read the patient's history (off the UI thread); a newer read cancels this one."""
        patient_id = self.patient_id
        self.run_use_case(
            lambda database: patient_history_view(database, patient_id, self.coordinator.zone),
            self._history_read,
            failed="Could not read the history",
            group="audit-load",
            exclusive=True,
        )

    def _history_read(self, history: PatientHistory) -> None:
        self.show(history.name, history.rows)

    def show(self, name: str, rows: list[AuditRow]) -> None:
        self.rows = rows
        self.sub_title = f"History: {name}"
        count = f"{len(rows)} change{'s' if len(rows) != 1 else ''}"
        self.query_one("#audit-summary", Static).update(
            Text.assemble((name, "bold"), f" — {count}, newest first. Read-only: the history cannot be edited.")
        )
        self._fill(rows)
        if rows:
            self.query_one(AuditTable).move_cursor(row=0)
            self._show_detail(rows[0])
        else:
            self.query_one("#audit-detail", Static).update("No changes have been recorded for this patient yet.")

    def _fill(self, rows: list[AuditRow]) -> None:
        table = self.query_one(AuditTable)
        table.clear()
        for row in rows:
            cells = {
                "When": row.when,
                "Who": row.who,
                "Action": row.action,
                "What": row.what,
                "Fields": row.fields_text,
            }
            shown = (fit(cells[title], size).rstrip() for title, size in self.columns)  # cut with an ellipsis
            table.add_row(*shown, key=str(row.event_id))

    @on(DataTable.RowHighlighted, "#audit-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value if event.row_key is not None else None
        row = next((r for r in self.rows if str(r.event_id) == key), None)
        if row is not None:
            self._show_detail(row)

    def _show_detail(self, row: AuditRow) -> None:
        self.detail_row = row
        note = Text(row.note, style="bold") if row.note else Text("")
        if not row.changes:
            self.query_one("#audit-detail", Static).update(
                Group(Text(f"{row.when} {row.who} {row.action} {row.what}."), note)
            )
            return
        grid = Table(box=None, show_header=True, header_style="bold", expand=False, padding=(0, 1))
        grid.add_column("Field")
        grid.add_column("Before")
        grid.add_column("After")
        for field_name, before, after in row.changes:
            grid.add_row(field_name, before, after)
        title = Text(f"{row.when}  {row.who} {row.action} {row.what}", style="bold")
        self.query_one("#audit-detail", Static).update(Group(title, note, grid) if row.note else Group(title, grid))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.reload()
