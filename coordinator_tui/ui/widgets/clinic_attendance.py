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
from coordinator_tui.services.clinic_day_views import missing_text
from coordinator_tui.services.clinics import AttendanceView
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
        def __init__(self, view: AttendanceView, status: AttendanceStatus) -> None:
            super().__init__()
            self.view = view
            self.status = status

    class FamilyRequested(Message):
        def __init__(self, view: AttendanceView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self.views: list[AttendanceView] = []
        self.shown: list[AttendanceView] = []
        self.only_missing = False
        self.zone = "Europe/London"

    def show_attendances(self, views: Sequence[AttendanceView], zone: str) -> None:
        self.views, self.zone = list(views), zone
        self.redraw()

    def redraw(self) -> None:
        current = self.current
        self.clear(columns=True)
        for label in ("Patient", "Answer", "Travel", "Hotel", "Still to book", "Arrives"):
            self.add_column(Text(label), key=label.lower().replace(" ", "_"))
        self.shown = [v for v in self.views if v.missing] if self.only_missing else list(self.views)
        warn = self.theme_style("clash")
        for view in self.shown:
            attendance = view.attendance
            declined = attendance.status is AttendanceStatus.DECLINED
            arrives = (
                format_local_datetime(attendance.travel_out_arrive, self.zone) if attendance.travel_out_arrive else ""
            )
            self.add_row(
                Text(f"{view.patient.family_name}, {view.patient.given_name}"),
                Text(STATUS_MARK[attendance.status]),
                self._booked("travel", attendance.travel_booked, declined, warn),
                self._booked("hotel", attendance.hotel_booked, declined, warn),
                Text(missing_text(view)),
                Text(arrives),
                key=str(attendance.id),
            )
        if current is not None:
            self.select_attendance(current.attendance.id)  # type: ignore[arg-type]

    @staticmethod
    def _booked(what: str, booked: bool, declined: bool, warn: object) -> Text:
        if declined:
            return Text("— not needed")
        if booked:
            return Text("✓ booked")
        return Text("✗ missing", style=warn)  # type: ignore[arg-type]

    @property
    def current(self) -> AttendanceView | None:
        if not self.shown or not self.row_count:
            return None
        return self.shown[min(self.cursor_row, len(self.shown) - 1)]

    def select_attendance(self, attendance_id: int) -> None:
        for index, view in enumerate(self.shown):
            if view.attendance.id == attendance_id:
                self.move_cursor(row=index)
                return

    def action_set_status(self, status: str) -> None:
        view = self.current
        if view is not None:
            self.post_message(self.StatusRequested(view, AttendanceStatus(status)))

    def action_toggle_missing(self) -> None:
        self.only_missing = not self.only_missing
        self.redraw()
        self.post_message(self.FilterChanged(self.only_missing))

    def action_open_family(self) -> None:
        view = self.current
        if view is not None:
            self.post_message(self.FamilyRequested(view))

    class FilterChanged(Message):
        def __init__(self, only_missing: bool) -> None:
            super().__init__()
            self.only_missing = only_missing

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_family()
