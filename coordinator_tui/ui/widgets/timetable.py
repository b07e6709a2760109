"""Timetable widgets of the Clinic days screen: the day grid, the clash panel, and one family's two days.

The grid is a ``DataTable`` in cell mode: a fixed time column, one column per professional (or room), one row per
time slot. It scrolls both ways in a small terminal and widens its columns to fill a large one. Meaning never
rests on colour alone: a clash cell says "⚠ CLASH", a busy cell starts with the time and the family's name or
continues with "│", and a slot outside a professional's hours shows "·".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from coordinator_tui.clinic_time import format_date, to_local
from coordinator_tui.services.appointments import INACTIVE, AppointmentView, Clash
from coordinator_tui.services.clinic_day_views import (
    CLASH_MARK,
    DayGrid,
    FamilyDays,
    GridMode,
    clash_label,
)

TIME_WIDTH = 5
MIN_COLUMN = 17
MAX_COLUMN = 26
OFF_HOURS = "·"


class ThemedTable(DataTable[Text]):
    """A DataTable whose cell colours follow the app's theme (light or dark) and redraw when it changes."""

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        self.redraw()

    def redraw(self) -> None:  # pragma: no cover - overridden
        """Rebuild the rows with the current theme's colours."""

    def theme_style(self, kind: str) -> Style:
        """'busy', 'clash' or 'off': colours from the current theme, plus bold/dim that read without colour."""
        variables = self.app.get_css_variables()
        foreground = variables.get("foreground", "")
        if kind == "clash":
            return Style.parse(f"bold {foreground} on {variables.get('error-muted', 'red')}")
        if kind == "busy":
            return Style.parse(f"{foreground} on {variables.get('primary-muted', 'blue')}")
        return Style(dim=True)


class TimetableGrid(ThemedTable):
    """One clinic day: rows are time slots, columns professionals or rooms."""

    BINDINGS = [Binding("o", "other_in_cell", "Other in cell", show=False)]

    DEFAULT_CSS = """
    TimetableGrid {
        height: 1fr;
        min-height: 6;
    }
    """

    class AppointmentHighlighted(Message):
        """The cursor moved onto a cell; ``appointment_id`` is None on a free slot."""

        def __init__(self, grid: TimetableGrid, appointment_id: int | None, column: int, row: int) -> None:
            super().__init__()
            self.grid = grid
            self.appointment_id = appointment_id
            self.column = column
            self.row = row

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            id=id, classes=classes, cursor_type="cell", header_height=2, fixed_columns=1, zebra_stripes=False
        )
        self.day_grid: DayGrid | None = None
        self._column_width = 20
        self._preferred: int | None = None  # which appointment of a double-booked cell is selected

    # -- content ------------------------------------------------------------------------------------------

    def show_grid(self, grid: DayGrid, *, keep_cursor: bool = True) -> None:
        old = self.cursor_coordinate if keep_cursor and self.day_grid is not None else None
        self.day_grid = grid
        self._column_width = self._fit_width()
        self.redraw()
        if old is not None and self.row_count and len(self.columns) > 1:
            self.move_cursor(row=min(old.row, self.row_count - 1), column=min(old.column, len(self.columns) - 1))
        elif self.row_count and len(self.columns) > 1:
            self.move_cursor(row=0, column=1)

    def redraw(self) -> None:
        grid = self.day_grid
        if grid is None:
            return
        cursor = self.cursor_coordinate
        self.clear(columns=True)
        self.add_column(Text("Time\n", style="bold"), width=TIME_WIDTH, key="time")
        for column in grid.columns:
            label = Text(f"{column.title}\n", style="bold", no_wrap=True, overflow="ellipsis")
            label.append(column.subtitle, style="not bold")
            self.add_column(label, width=self._column_width, key=column.key)
        busy, clash, off = self.theme_style("busy"), self.theme_style("clash"), self.theme_style("off")
        width = self._column_width
        for row, slot in enumerate(grid.slots):
            cells: list[Text] = [Text(slot.strftime("%H:%M"), style="bold" if slot.minute == 0 else "")]
            for index in range(len(grid.columns)):
                cell = grid.cells.get((row, index))
                if cell is not None:
                    style = clash if cell.clash else busy
                    text = Text(cell.text.ljust(width), style=style, no_wrap=True, overflow="ellipsis")
                elif (row, index) in grid.off_hours:
                    text = Text(OFF_HOURS, style=off)
                else:
                    text = Text("")
                cells.append(text)
            self.add_row(*cells, key=str(row))
        if self.row_count:
            self.move_cursor(row=min(cursor.row, self.row_count - 1), column=min(cursor.column, len(self.columns) - 1))

    def _fit_width(self) -> int:
        grid = self.day_grid
        if grid is None or not grid.columns:
            return MIN_COLUMN
        available = (self.size.width or self.app.size.width) - TIME_WIDTH - 4
        per_column = available // len(grid.columns) - 2  # DataTable pads each cell by one on both sides
        return max(MIN_COLUMN, min(MAX_COLUMN, per_column))

    def on_resize(self) -> None:
        if self.day_grid is not None and self._fit_width() != self._column_width:
            self._column_width = self._fit_width()
            self.redraw()

    # -- cursor -------------------------------------------------------------------------------------------

    @property
    def appointment_id(self) -> int | None:
        """The appointment under the cursor (the first, when a double booking shares the cell)."""
        grid = self.day_grid
        if grid is None or not self.row_count:
            return None
        coordinate = self.cursor_coordinate
        cell = grid.cell(coordinate.row, coordinate.column - 1)
        if cell is None or not cell.appointment_ids:
            return None
        if self._preferred in cell.appointment_ids:
            return self._preferred
        return cell.appointment_ids[0]

    @property
    def shared_count(self) -> int:
        """How many appointments share the cell under the cursor (2 or more: a double booking)."""
        grid = self.day_grid
        if grid is None or not self.row_count:
            return 0
        cell = grid.cell(self.cursor_coordinate.row, self.cursor_coordinate.column - 1)
        return len(cell.appointment_ids) if cell else 0

    def action_other_in_cell(self) -> None:
        """In a double-booked cell, select the next appointment sharing it."""
        grid = self.day_grid
        if grid is None:
            return
        coordinate = self.cursor_coordinate
        cell = grid.cell(coordinate.row, coordinate.column - 1)
        if cell is None or len(cell.appointment_ids) < 2:
            return
        current = self.appointment_id
        index = cell.appointment_ids.index(current) if current in cell.appointment_ids else -1
        self._preferred = cell.appointment_ids[(index + 1) % len(cell.appointment_ids)]
        self.post_message(self.AppointmentHighlighted(self, self._preferred, coordinate.column, coordinate.row))

    @property
    def cursor_slot(self) -> dt.time | None:
        grid = self.day_grid
        if grid is None or not grid.slots:
            return None
        return grid.slots[min(self.cursor_coordinate.row, len(grid.slots) - 1)]

    @property
    def cursor_column_key(self) -> str | None:
        grid = self.day_grid
        column = self.cursor_coordinate.column - 1
        if grid is None or not 0 <= column < len(grid.columns):
            return None
        return grid.columns[column].key

    def select_appointment(self, appointment_id: int) -> bool:
        grid = self.day_grid
        position = grid.position_of(appointment_id) if grid else None
        if position is None:
            return False
        self._preferred = appointment_id
        self.move_cursor(row=position[0], column=position[1] + 1, scroll=True)
        return True

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        if event.data_table is not self:
            return
        event.stop()
        self.post_message(
            self.AppointmentHighlighted(self, self.appointment_id, event.coordinate.column, event.coordinate.row)
        )


class ClashPanel(ThemedTable):
    """The clashes of the day shown, each with its kind in words; Enter jumps the grid to it."""

    DEFAULT_CSS = """
    ClashPanel {
        height: auto;
        max-height: 7;
    }
    """

    BINDINGS = [Binding("enter", "show_clash", "Go to clash", show=True)]

    class ClashChosen(Message):
        def __init__(self, clash: Clash) -> None:
            super().__init__()
            self.clash = clash

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True, show_header=False)
        self.styles.height = "auto"  # inline: the app's stylesheet gives every DataTable 1fr
        self.clashes: list[Clash] = []

    def show_clashes(self, clashes: Sequence[Clash]) -> None:
        self.clashes = list(clashes)
        self.redraw()

    def redraw(self) -> None:
        self.clear(columns=True)
        self.add_column(Text("Mark"), key="mark")
        self.add_column(Text("Kind"), key="kind")
        self.add_column(Text("Details"), key="details")
        if not self.clashes:
            self.add_row(Text("✓ none"), Text("No clashes on this day"), Text(""))
            return
        clash_style = self.theme_style("clash")
        for index, clash in enumerate(self.clashes):
            self.add_row(
                Text(CLASH_MARK, style=clash_style),
                Text(clash_label(clash.kind)),
                Text(clash.description),
                key=str(index),
            )

    def action_show_clash(self) -> None:
        if self.clashes and self.row_count:
            self.post_message(self.ClashChosen(self.clashes[min(self.cursor_row, len(self.clashes) - 1)]))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_show_clash()


class FamilyTimetable(ThemedTable):
    """One family's appointments across the clinic's days, in order, with clashes marked."""

    BINDINGS = [
        Binding("left_square_bracket", "screen.step_family(-1)", "Prev family", key_display="["),
        Binding("right_square_bracket", "screen.step_family(1)", "Next family", key_display="]"),
    ]

    DEFAULT_CSS = """
    FamilyTimetable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self.family: FamilyDays | None = None
        self.dates: list[dt.date] = []
        self.zone = "Europe/London"
        self.row_ids: list[int | None] = []

    def show_family(self, family: FamilyDays, dates: Sequence[dt.date], zone: str) -> None:
        self.family, self.dates, self.zone = family, list(dates), zone
        self.redraw()

    def redraw(self) -> None:
        family = self.family
        self.clear(columns=True)
        for label in ("Day", "Time", "Discipline", "With", "Room", "Status", "Clash"):
            self.add_column(Text(label), key=label.lower())
        self.row_ids = []
        if family is None:
            return
        clash_style = self.theme_style("clash")
        for number, day in enumerate(self.dates, start=1):
            views = family.on_day(day, self.zone)
            if not views:
                self.add_row(Text(f"Day {number}"), Text(format_date(day)), Text("no appointments"), *[Text("")] * 4)
                self.row_ids.append(None)
            for view in views:
                self.add_row(*self._row(view, number, family, clash_style))
                self.row_ids.append(view.appointment.id)

    def _row(self, view: AppointmentView, number: int, family: FamilyDays, clash_style: Style) -> list[Text]:
        appointment = view.appointment
        start, end = to_local(appointment.start, self.zone), to_local(appointment.end, self.zone)
        clashes = family.clashes.get(appointment.id, [])  # type: ignore[arg-type]
        inactive = appointment.status in INACTIVE
        status = Text(appointment.status.value, style="strike" if inactive else "")
        return [
            Text(f"Day {number}"),
            Text(f"{start:%H:%M}–{end:%H:%M}"),
            Text(appointment.discipline),
            Text(view.professional_names or "—"),
            Text(view.room.name if view.room else "no room"),
            status,
            Text(f"{CLASH_MARK}: {clash_label(clashes[0].kind)}", style=clash_style) if clashes else Text(""),
        ]

    @property
    def appointment_id(self) -> int | None:
        if not self.row_ids or not self.row_count:
            return None
        return self.row_ids[min(self.cursor_row, len(self.row_ids) - 1)]


def mode_label(mode: GridMode) -> str:
    return "per professional" if mode is GridMode.PROFESSIONAL else "per room"
