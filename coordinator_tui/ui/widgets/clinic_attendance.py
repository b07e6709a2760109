"""The attendance list of one clinic: who comes, their status (with when and by whom it was recorded), and travel /
hotel booked or still missing.

It is the family support worker's to-do list: "✗ missing" in words (not colour alone), a count of families still
to book in the title, and a filter showing only those families (``m``). ``status_filter`` shows one status only (the
clinic screen's ``v`` cycles it). ``StatusDialog`` offers the status changes the rules allow (``c`` on the clinic
screen); a cancellation asks whether the family or the service cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from coordinator_tui.clinic_time import format_local_datetime
from coordinator_tui.models import AttendanceStatus, CancelledBy
from coordinator_tui.services.clinics.clinic_day_views import AttendanceRow, missing_text
from coordinator_tui.services.clinics.invitations import STATUS_TEXT, STATUS_WORD, status_text
from coordinator_tui.ui.widgets.data_table import DataTable
from coordinator_tui.ui.widgets.timetable import ThemedTable

#: The order ``v`` steps through: every family, then one status at a time.
FILTER_ORDER: tuple[AttendanceStatus | None, ...] = (None, *AttendanceStatus)


def short_status(row: AttendanceRow) -> str:
    """The status as the list shows it: a symbol and words ('✗ cancelled: family'), never colour alone."""
    if row.status is AttendanceStatus.CANCELLED and row.cancelled_by:
        return f"✗ cancelled: {row.cancelled_by}"
    return STATUS_TEXT[row.status]


def recorded_text(row: AttendanceRow, zone: str) -> str:
    """'01/12/2026 nurse-two': when the status was last changed and who recorded it."""
    if row.status_changed_at is None:
        return ""
    return f"{format_local_datetime(row.status_changed_at, zone)[:10]} {row.status_changed_by}".strip()


class AttendanceTable(ThemedTable):
    """One row per invited family; ``m`` shows only families with something to book; ``status_filter`` one status."""

    DEFAULT_CSS = """
    AttendanceTable {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "toggle_missing", "Only to-book"),
        Binding("enter", "open_family", "Family timetable"),
    ]

    class FamilyRequested(Message):
        def __init__(self, row: AttendanceRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self.families: list[AttendanceRow] = []
        self.shown: list[AttendanceRow] = []
        self.only_missing = False
        self.status_filter: AttendanceStatus | None = None
        self.zone = "Europe/London"

    def show_attendances(self, rows: Sequence[AttendanceRow], zone: str) -> None:
        self.families, self.zone = list(rows), zone
        self.redraw()

    #: Fixed widths: a clinic may list thousands of families, and measuring every cell would be slow.
    COLUMNS = (
        ("Patient", 20),
        ("Status", 19),
        ("Recorded", 22),
        ("Still to book", 13),
        ("Travel", 10),
        ("Hotel", 10),
        ("Arrives", 16),
    )

    def redraw(self) -> None:
        current = self.current
        self.clear(columns=True)
        for label, width in self.COLUMNS:
            self.add_column(Text(label), key=label.lower().replace(" ", "_"), width=width)
        self.shown = [
            r for r in self.families if (r.missing or not self.only_missing) and self.status_filter in (None, r.status)
        ]
        warn = self.theme_style("clash")
        for row in self.shown:
            declined = row.status not in (AttendanceStatus.INVITED, AttendanceStatus.CONFIRMED)
            arrives = format_local_datetime(row.travel_out_arrive, self.zone) if row.travel_out_arrive else ""
            self.add_row(
                Text(row.sort_name, no_wrap=True, overflow="ellipsis"),
                Text(short_status(row), no_wrap=True, overflow="ellipsis"),
                Text(recorded_text(row, self.zone), no_wrap=True, overflow="ellipsis"),
                Text(missing_text(row)),
                self._booked(row.travel_booked, declined, warn),
                self._booked(row.hotel_booked, declined, warn),
                Text(arrives),
                key=str(row.attendance_id),
            )
        if current is not None:
            self.select_attendance(current.attendance_id)

    @staticmethod
    def _booked(booked: bool, declined: bool, warn: object) -> Text:
        if declined:
            return Text("not needed")
        if booked:
            return Text("✓ booked")
        return Text("✗ missing", style=warn)  # type: ignore[arg-type]

    @property
    def current(self) -> AttendanceRow | None:
        if not self.shown or not self.row_count:
            return None
        return self.shown[min(self.cursor_row, len(self.shown) - 1)]

    def select_attendance(self, attendance_id: int) -> None:
        for index, row in enumerate(self.shown):
            if row.attendance_id == attendance_id:
                self.move_cursor(row=index)
                return

    def cycle_filter(self) -> AttendanceStatus | None:
        """Show the next status only (after the last, every family again); returns the status shown."""
        self.status_filter = FILTER_ORDER[(FILTER_ORDER.index(self.status_filter) + 1) % len(FILTER_ORDER)]
        self.redraw()
        self.post_message(self.FilterChanged(self.only_missing))
        return self.status_filter

    @property
    def filter_text(self) -> str:
        if self.status_filter is None:
            return "every status"
        return f"only {STATUS_WORD[self.status_filter]}"

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self:
            self.refresh_bindings()

    def action_toggle_missing(self) -> None:
        self.only_missing = not self.only_missing
        self.redraw()
        self.post_message(self.FilterChanged(self.only_missing))

    def action_open_family(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.FamilyRequested(row))

    class FilterChanged(Message):
        def __init__(self, only_missing: bool) -> None:
            super().__init__()
            self.only_missing = only_missing

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_family()


class StatusDialog(ModalScreen[tuple[AttendanceStatus, str] | None]):
    """The status changes allowed for one family: pick one (Enter); a cancellation is offered as 'by the family' and
    'by the service'. The result is (status, cancelled_by) or None."""

    DEFAULT_CSS = """
    StatusDialog {
        align: center middle;
    }
    StatusDialog > #status-dialog {
        width: 64;
        max-width: 96%;
        height: auto;
        max-height: 90%;
        border: round $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    StatusDialog OptionList {
        height: auto;
        max-height: 12;
    }
    StatusDialog #status-now {
        color: $text-muted;
        margin-bottom: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", key_display="Esc")]

    def __init__(self, row: AttendanceRow, allowed: list[AttendanceStatus]) -> None:
        super().__init__()
        self.row = row
        self.choices: list[tuple[AttendanceStatus, str]] = []
        for status in allowed:
            if status is AttendanceStatus.CANCELLED:
                self.choices += [(status, CancelledBy.FAMILY.value), (status, CancelledBy.SERVICE.value)]
            else:
                self.choices.append((status, ""))

    def compose(self) -> ComposeResult:
        with Vertical(id="status-dialog") as dialog:
            dialog.border_title = f"Status of {self.row.full_name}"
            yield Static(f"Now: {status_text(self.row.status, self.row.cancelled_by)}", id="status-now")
            yield OptionList(
                *[Option(status_text(status, by), id=f"{status.value}:{by}") for status, by in self.choices],
                id="status-options",
            )
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
