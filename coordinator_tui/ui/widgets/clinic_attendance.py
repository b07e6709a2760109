"""The attendance list of one clinic: who comes, their answer, and travel / hotel booked or still missing.

It is the family support worker's to-do list: "✗ missing" in words (not colour alone), a count of families still
to book in the title, and a filter showing only those families.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from coordinator_tui.clinic_time import format_local_datetime
from coordinator_tui.models import AttendanceStatus
from coordinator_tui.services.clinics.clinic_day_views import AttendanceRow, missing_text
from coordinator_tui.ui.widgets.timetable import ThemedTable

STATUS_MARK = {
    AttendanceStatus.INVITED: "? invited",
    AttendanceStatus.CONFIRMED: "✓ confirmed",
    AttendanceStatus.DECLINED: "✗ declined",
    AttendanceStatus.ATTENDED: "✓ attended",
}


class AttendanceTable(ThemedTable):
    """One row per invited family; keys set the answer; ``m`` shows only families with something to book."""

    DEFAULT_CSS = """
    AttendanceTable {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("c", "set_status('confirmed')", "Confirmed"),
        Binding("d", "set_status('declined')", "Declined"),
        Binding("i", "set_status('invited')", "Invited"),
        Binding("v", "set_status('attended')", "Attended", show=False),
        Binding("m", "toggle_missing", "Only to-book"),
        Binding("enter", "open_family", "Family timetable"),
    ]

    class StatusRequested(Message):
        def __init__(self, row: AttendanceRow, status: AttendanceStatus) -> None:
            super().__init__()
            self.row = row
            self.status = status

    class FamilyRequested(Message):
        def __init__(self, row: AttendanceRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self.families: list[AttendanceRow] = []
        self.shown: list[AttendanceRow] = []
        self.only_missing = False
        self.zone = "Europe/London"

    def show_attendances(self, rows: Sequence[AttendanceRow], zone: str) -> None:
        self.families, self.zone = list(rows), zone
        self.redraw()

    #: Fixed widths: a clinic may list thousands of families, and measuring every cell would be slow.
    COLUMNS = (("Patient", 22), ("Answer", 11), ("Still to book", 13), ("Travel", 10), ("Hotel", 10), ("Arrives", 16))

    def redraw(self) -> None:
        current = self.current
        self.clear(columns=True)
        for label, width in self.COLUMNS:
            self.add_column(Text(label), key=label.lower().replace(" ", "_"), width=width)
        self.shown = [r for r in self.families if r.missing] if self.only_missing else list(self.families)
        warn = self.theme_style("clash")
        for row in self.shown:
            declined = row.status is AttendanceStatus.DECLINED
            arrives = format_local_datetime(row.travel_out_arrive, self.zone) if row.travel_out_arrive else ""
            self.add_row(
                Text(row.sort_name, no_wrap=True, overflow="ellipsis"),
                Text(STATUS_MARK[row.status]),
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The answer the highlighted family already gave is shown dimmed (pressing it would change nothing)."""
        if action == "set_status":
            row = self.current
            if row is None or row.status.value == parameters[0]:
                return None
        return True

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self:
            self.refresh_bindings()

    def action_set_status(self, status: str) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.StatusRequested(row, AttendanceStatus(status)))

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
