"""The Caseload screen: open transition items across all patients, overdue or due in the next 30 / 90 days.

Counts per bucket come from ``services.transition.checklists.caseload_view`` (over every matching item; the table
shows the first ``ROW_LIMIT`` rows in due-date order). Filters are single keys that cycle: ``o`` the owner role,
``c`` the category (shift for the other way round), Esc clears both; the line above the table says what is applied.
Enter on a row opens that patient's record on the Transition tab, with the item under the cursor. ^l saves the rows
shown, for the filters applied, to a CSV or Excel file (``list_export``).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.reactive import var
from textual.widgets import Static

from coordinator_tui.services.transition.checklists import Caseload, CaseloadBucket, CaseloadRow, caseload_view
from coordinator_tui.services.transition.milestone_rules import CATEGORIES, OWNER_ROLES
from coordinator_tui.ui.screens.base import CoordinatorScreen
from coordinator_tui.ui.widgets.data_table import DataTable
from coordinator_tui.ui.widgets.tables import RecordTable, shrink_when_empty
from coordinator_tui.ui.widgets.transition_list import TransitionList, owner_short
from coordinator_tui.validation import format_uk_date

ROW_LIMIT = 500  # rows shown; the counts cover everything
WIDE = 110  # from this width on, owner and category fit beside the title

# A symbol and a word for each bucket (the row's flag), never colour alone.
ROW_FLAGS: dict[CaseloadBucket, str] = {
    CaseloadBucket.OVERDUE: "⚠ OVERDUE",
    CaseloadBucket.NEXT_30: "● ≤30 DAYS",
    CaseloadBucket.NEXT_90: "○ ≤90 DAYS",
}
COUNT_LABELS: dict[CaseloadBucket, str] = {
    CaseloadBucket.OVERDUE: "⚠ Overdue",
    CaseloadBucket.NEXT_30: "● Due within 30 days",
    CaseloadBucket.NEXT_90: "○ Due in 31–90 days",
}


def cycle(choices: tuple[str, ...], current: str | None, step: int) -> str | None:
    """The next choice after ``current`` (None is "all", between the last and the first)."""
    options: list[str | None] = [None, *choices]
    index = options.index(current) if current in options else 0
    return options[(index + step) % len(options)]


def columns(width: int) -> list[tuple[str, int]]:
    """Titles and widths for a terminal ``width`` wide: the item title gets what the other columns leave."""
    flag, due, patient = ("Flag", 10), ("Due", 10), ("Patient", 20 if width >= WIDE else 18)
    extra = [("Owner", 16), ("Category", 18)]
    shown = [flag, due, patient, *(extra if width >= WIDE else [])]
    padding = 2 * (len(shown) + 1) + 2
    item = ("Item", max(24, width - sum(w for _t, w in shown) - padding))
    return [flag, due, patient, item, *extra]


def filters_text(owner_role: str | None, category: str | None) -> Text:
    text = Text()
    text.append("Owner (o): ", style="bold")
    text.append(owner_role or "all", style="reverse" if owner_role else "")
    text.append("   Category (c): ", style="bold")
    text.append(category or "all", style="reverse" if category else "")
    if owner_role or category:
        text.append("   Esc: show all")
    return text


def counts_text(result: Caseload) -> Text:
    text = Text()
    for index, bucket in enumerate(CaseloadBucket):
        if index:
            text.append(" · ")
        text.append(f"{COUNT_LABELS[bucket]} ")
        text.append(str(result.counts[bucket]), style="bold")
    text.append(f" · total {result.total}")
    if len(result.rows) < result.total:
        text.append(f" (first {len(result.rows)} shown)")
    return text


def row_cells(row: CaseloadRow) -> tuple[Text | str, ...]:
    item = row.item
    style = "bold" if row.bucket is CaseloadBucket.OVERDUE else ""
    return (
        Text(ROW_FLAGS[row.bucket], style=style),
        format_uk_date(item.due_date),
        Text(row.patient.full_name),  # Text: typed text is never read as markup
        Text(item.title),
        owner_short(item.owner_role),
        item.category,
    )


def detail_text(row: CaseloadRow) -> Text:
    item, patient = row.item, row.patient
    text = Text()
    text.append(patient.full_name, style="bold")
    text.append(f" ({patient.hospital_number}) · {ROW_FLAGS[row.bucket]} · due {format_uk_date(item.due_date)}")
    text.append(f" · {item.owner_role} · {item.category}\n")
    text.append(item.title)
    if item.status.value == "in_progress":
        text.append(" · ◐ in progress")
    return text


def empty_caseload_text(*, filtered: bool) -> str:
    if filtered:
        return "Nothing overdue or due in the next 90 days for this filter: Esc shows every owner and category."
    return (
        "Nothing overdue or due in the next 90 days. The caseload lists the open steps of every patient's "
        "transition checklist (patients are added on the Patients screen: 1 / F2, then ^n)."
    )


class CaseloadTable(RecordTable):
    HELP_TITLE = "Caseload"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open patient", key_display="Enter"),
    ]


class CaseloadScreen(CoordinatorScreen):
    """Transition items due across the caseload; o / c cycle the filters; Enter opens the patient."""

    screen_title = "Caseload"
    CSS_PATH = "caseload.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "cycle_owner(1)", "Owner filter"),
        Binding("O", "cycle_owner(-1)", "Owner filter back", show=False, key_display="shift+o"),
        Binding("c", "cycle_category(1)", "Category filter"),
        Binding("C", "cycle_category(-1)", "Category filter back", show=False, key_display="shift+c"),
        Binding("escape", "clear_filters", "All", key_display="Esc"),
        Binding("ctrl+r", "reload", "Reload", show=False),
        # The rows shown, for the filters applied, to a CSV or Excel file (a dialog asks where).
        Binding("ctrl+l", "save_list", "Save list to a file", show=False, key_display="^l"),
    ]

    owner_role: var[str | None] = var(None, bindings=True)  # the filters applied ("All" is live with either)
    category: var[str | None] = var(None, bindings=True)

    def __init__(self) -> None:
        super().__init__()
        self.result: Caseload | None = None
        self._rows: dict[str, CaseloadRow] = {}
        self._columns_for = 0

    def compose_body(self) -> ComposeResult:
        yield Static(filters_text(None, None), id="caseload-filters")
        yield Static("Loading the caseload…", id="caseload-counts")
        yield CaseloadTable(id="caseload-table")
        yield Static("", id="caseload-detail")

    def on_mount(self) -> None:
        self._set_columns(self.size.width or self.app.size.width)
        self.load()

    # ---------------------------------------------------------------------------------------------------------
    # Loading (off the UI thread)
    # ---------------------------------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the caseload for the filters applied (off the UI thread); a newer load cancels this one."""
        owner_role, category = self.owner_role, self.category
        self.run_use_case(
            lambda database: caseload_view(
                database, zone=self.coordinator.zone, owner_role=owner_role, category=category, limit=ROW_LIMIT
            ),
            self.show_result,
            failed="Could not load the caseload",
            group="caseload-load",
            exclusive=True,
        )

    def show_result(self, result: Caseload) -> None:
        if (result.owner_role, result.category) != (self.owner_role, self.category):
            return  # an older filter finished late
        self.result = result
        self._rows = {str(row.item.id): row for row in result.rows}
        self.query_one("#caseload-counts", Static).update(counts_text(result))
        self._fill_table()

    def _fill_table(self) -> None:
        table = self.query_one(CaseloadTable)
        keep = table.selected_key
        table.clear()
        if self.result is not None:
            for row in self.result.rows:
                table.add_row(*row_cells(row), key=str(row.item.id))
        if keep and keep in self._rows:
            table.move_to_key(keep)
        shrink_when_empty(table)
        self._show_detail(table.selected_key)

    def _show_detail(self, key: str | None) -> None:
        row = self._rows.get(key) if key else None
        detail = self.query_one("#caseload-detail", Static)
        if row is not None:
            detail.update(detail_text(row))
        elif self.result is not None:
            detail.update(empty_caseload_text(filtered=bool(self.owner_role or self.category)))

    def _set_columns(self, width: int) -> None:
        table = self.query_one(CaseloadTable)
        table.clear(columns=True)
        self._columns_for = width
        for title, size in columns(width):
            table.add_column(title, key=title, width=size)

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self._columns_for:
            self._set_columns(event.size.width)
            self._fill_table()

    def on_screen_resume(self) -> None:
        # Back from a patient record or another screen: show what changed meanwhile.
        if self.is_mounted and self.result is not None:
            self.load()

    # ---------------------------------------------------------------------------------------------------------
    # Events and actions
    # ---------------------------------------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#caseload-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.row_key.value)

    @on(DataTable.RowSelected, "#caseload-table")
    async def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        await self.open_selected()

    async def open_selected(self) -> None:
        key = self.query_one(CaseloadTable).selected_key
        row = self._rows.get(key) if key else None
        if row is None:
            self.notify("Nothing to open: no item matches the filters.", severity="warning")
            return
        patient_id, item_id = row.patient.id, row.item.id
        assert patient_id is not None and item_id is not None
        await self.coordinator.open_patient(patient_id, tab="transition")

        lists = self.app.screen.query(TransitionList)
        if lists:
            lists.first().select_item(item_id)

    def _set_filters(self, owner_role: str | None, category: str | None) -> None:
        self.owner_role, self.category = owner_role, category
        self.query_one("#caseload-filters", Static).update(filters_text(owner_role, category))
        self.query_one("#caseload-counts", Static).update("Loading…")
        self.load()

    def action_cycle_owner(self, step: int) -> None:
        self._set_filters(cycle(OWNER_ROLES, self.owner_role, step), self.category)

    def action_cycle_category(self, step: int) -> None:
        self._set_filters(self.owner_role, cycle(CATEGORIES, self.category, step))

    def action_clear_filters(self) -> None:
        self._set_filters(None, None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "All" only while a filter is applied (keeps the footer to what does something).
        if action == "clear_filters":
            return bool(self.owner_role or self.category)
        return True

    def action_reload(self) -> None:
        self.load()

    def action_save_list(self) -> None:
        """Save the caseload shown (its filters, its rows) to a file (``services.list_exports.caseload_table``)."""
        result = self.result
        if result is None or (result.owner_role, result.category) != (self.owner_role, self.category):
            self.notify("The caseload is still loading: try again in a moment.", severity="warning")
            return
        from coordinator_tui.services.list_exports import caseload_table
        from coordinator_tui.ui.screens.list_export import save_list

        save_list(self, lambda _database: caseload_table(result), "the caseload")
