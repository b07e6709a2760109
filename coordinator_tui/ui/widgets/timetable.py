"""Timetable widgets of the Clinic days screen: the day grid, the clash panel, and one family's two days.

The grid is a Line-API widget: a fixed time column and header, one column per professional (or room), one row per
time slot. It scrolls both ways in a small terminal and widens its columns to fill a large one. Meaning never
rests on colour alone: a clash cell says "⚠ CLASH", a busy cell starts with the time and the family's name or
continues with "│", and a slot outside a professional's hours shows "·".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets.data_table import ColumnKey

from coordinator_tui.clinic_time import format_date, to_local
from coordinator_tui.services.clinics.appointments import INACTIVE, AppointmentView, Clash
from coordinator_tui.services.clinics.clinic_day_views import (
    CLASH_MARK,
    DayGrid,
    FamilyDays,
    GridCell,
    GridMode,
    clash_label,
)
from coordinator_tui.ui.widgets.data_table import DataTable

TIME_WIDTH = 6
MIN_COLUMN = 17
MAX_COLUMN = 26
OFF_HOURS = "·"
KIND_WIDTH = 28  # the longest clash kind in words ("Outside professional's hours")
MIN_DETAILS = 30


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


class TimetableGrid(ScrollView, can_focus=True):
    """One clinic day: rows are time slots, columns professionals or rooms (Line API: draws only what shows).

    The two header lines and the time column stay in place while the rest scrolls. A day of 15 professionals
    and 40 slots is 600 cells; drawing each as a table cell would cost a quarter of a second, so each visible
    line is built from plain segments instead.
    """

    HEADER_LINES = 2

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timetable--header",
        "timetable--time",
        "timetable--busy",
        "timetable--clash",
        "timetable--off",
        "timetable--cursor",
    }

    DEFAULT_CSS = """
    TimetableGrid {
        height: 1fr;
        min-height: 6;
        background: $surface;
        color: $foreground;
    }
    TimetableGrid > .timetable--header {
        background: $panel;
        color: $foreground;
        text-style: bold;
    }
    TimetableGrid > .timetable--time {
        background: $panel;
        color: $foreground;
    }
    TimetableGrid > .timetable--busy {
        background: $primary-muted;
        color: $foreground;
    }
    TimetableGrid > .timetable--clash {
        background: $error-muted;
        color: $foreground;
        text-style: bold;
    }
    TimetableGrid > .timetable--off {
        color: $text-muted;
    }
    /* The cursor reads without colour: reversed (focused) or underlined (focus elsewhere). */
    TimetableGrid > .timetable--cursor {
        text-style: bold underline;
    }
    TimetableGrid:focus > .timetable--cursor {
        text-style: bold reverse;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(0, -1)", "Up", show=False),
        Binding("down", "cursor(0, 1)", "Down", show=False),
        Binding("left", "cursor(-1, 0)", "Left", show=False),
        Binding("right", "cursor(1, 0)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge('home')", "First column", show=False),
        Binding("end", "edge('end')", "Last column", show=False),
        Binding("ctrl+home", "edge('top')", "First slot", show=False),
        Binding("ctrl+end", "edge('bottom')", "Last slot", show=False),
        Binding("enter", "choose", "Move / book", show=False),
        Binding("o", "other_in_cell", "Other in cell", show=False),
    ]

    class AppointmentHighlighted(Message):
        """The cursor moved; ``appointment_id`` is None on a free slot."""

        def __init__(self, grid: TimetableGrid, appointment_id: int | None, column: int, row: int) -> None:
            super().__init__()
            self.grid = grid
            self.appointment_id = appointment_id
            self.column = column
            self.row = row

    class Chosen(Message):
        """Enter (or a click on the cursor cell): the screen moves the appointment, or books the free slot."""

        def __init__(self, grid: TimetableGrid, appointment_id: int | None) -> None:
            super().__init__()
            self.grid = grid
            self.appointment_id = appointment_id

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.day_grid: DayGrid | None = None
        self.cursor_row = 0
        self.cursor_column = 0
        self.column_width = MIN_COLUMN + 1
        self._preferred: int | None = None  # which appointment of a double-booked cell is selected
        self._row_cache: dict[tuple[int, bool], Strip] = {}
        # The grid's own style (its background and colour, with its ancestors'): Textual works it out by walking
        # the ancestors on every call, and each drawn line needs it; kept until the styles change.
        self._base_style: Style | None = None

    # -- content ------------------------------------------------------------------------------------------

    def show_grid(self, grid: DayGrid, *, keep_cursor: bool = True) -> None:
        if not keep_cursor or self.day_grid is None:
            self.cursor_row, self.cursor_column = 0, 0
        self.day_grid = grid
        self.cursor_row = max(0, min(self.cursor_row, len(grid.slots) - 1))
        self.cursor_column = max(0, min(self.cursor_column, len(grid.columns) - 1))
        self._fit()
        self._highlighted()

    def _fit(self, *, new_grid: bool = True) -> None:
        """Column width and scrolling size for the grid and the widget's width. The lines drawn are kept (a resize
        to the same column width, as the first layout after the grid is shown usually is) unless the grid or the
        column width changed: a line's cells depend on nothing else (the width crops them when drawn)."""
        grid = self.day_grid
        width = self.size.width or self.app.size.width
        columns = len(grid.columns) if grid else 0
        old_width = self.column_width
        if columns:
            per_column = (width - TIME_WIDTH - 1) // columns
            self.column_width = max(MIN_COLUMN, min(MAX_COLUMN, per_column)) + 1
        rows = len(grid.slots) if grid else 0
        if new_grid or self.column_width != old_width:
            self._row_cache.clear()
        shown = self.scrollable_content_region.width or width  # less a vertical scrollbar, once laid out
        self.virtual_size = Size(self._virtual_width(shown, columns), self.HEADER_LINES + rows)
        self.refresh()

    def _virtual_width(self, width: int, columns: int) -> int:
        """The grid's width, padded so the furthest it scrolls sideways is a whole number of columns (the time
        column is then always followed by the start of a column, never the middle of one)."""
        hidden = TIME_WIDTH + columns * self.column_width - width
        if hidden <= 0:
            return TIME_WIDTH + columns * self.column_width
        return width + -(-hidden // self.column_width) * self.column_width

    def _body_x(self) -> int:
        """How far the columns are scrolled sideways, in whole columns (a mouse or scrollbar may stop mid-column)."""
        return int(self.scroll_offset.x) // self.column_width * self.column_width

    def on_resize(self) -> None:
        if self.day_grid is not None:
            self._fit(new_grid=False)
            self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._row_cache.clear()
        self._base_style = None

    @property
    def _base(self) -> Style:
        """``rich_style``, worked out once per change of the styles (see ``notify_style_update``)."""
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    # -- drawing ------------------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        grid = self.day_grid
        width = self.size.width
        base = self._base
        if grid is None:
            return Strip.blank(width, base)
        scroll_x, scroll_y = self._body_x(), self.scroll_offset.y
        visible = max(0, width - TIME_WIDTH)
        if y < self.HEADER_LINES:
            style = self.get_component_rich_style("timetable--header")
            first = Segment(("Time" if y == 0 else "").ljust(TIME_WIDTH), style)
            body = Strip(
                [Segment(self._fit_text(column.title if y == 0 else column.subtitle), style) for column in grid.columns]
            )
        else:
            row = y - self.HEADER_LINES + scroll_y
            if row >= len(grid.slots):
                return Strip.blank(width, base)
            slot = grid.slots[row]
            first = Segment(f"{slot:%H:%M}".ljust(TIME_WIDTH), self.get_component_rich_style("timetable--time"))
            body = self._row_strip(row)
        cropped = body.crop(scroll_x, scroll_x + visible).extend_cell_length(visible, base)
        return Strip([first, *cropped], TIME_WIDTH + visible)

    def _fit_text(self, text: str) -> str:
        inner = self.column_width - 1
        if len(text) > inner:
            text = text[: inner - 1] + "…"
        return " " + text.ljust(inner)

    def _row_strip(self, row: int) -> Strip:
        cursor_here = row == self.cursor_row
        key = (row, cursor_here)
        cached = self._row_cache.get(key)
        if cached is not None and not cursor_here:
            return cached
        grid = self.day_grid
        assert grid is not None
        busy = self.get_component_rich_style("timetable--busy")
        clash = self.get_component_rich_style("timetable--clash")
        off = self.get_component_rich_style("timetable--off")
        cursor = self.get_component_rich_style("timetable--cursor")
        base = self._base
        segments = []
        for index in range(len(grid.columns)):
            cell = grid.cells.get((row, index))
            if cell is not None:
                text, style = cell.text, clash if cell.clash else busy
            elif (row, index) in grid.off_hours:
                text, style = OFF_HOURS, off
            else:
                text, style = "", base
            if cursor_here and index == self.cursor_column:
                style = style + cursor
            segments.append(Segment(self._fit_text(text), style))
        strip = Strip(segments, len(grid.columns) * self.column_width)
        if not cursor_here:
            self._row_cache[key] = strip
        return strip

    # -- cursor -------------------------------------------------------------------------------------------

    def _cell(self) -> GridCell | None:
        grid = self.day_grid
        return grid.cell(self.cursor_row, self.cursor_column) if grid else None

    @property
    def appointment_id(self) -> int | None:
        """The appointment under the cursor (the chosen one, when a double booking shares the cell)."""
        cell = self._cell()
        if cell is None or not cell.appointment_ids:
            return None
        if self._preferred in cell.appointment_ids:
            return self._preferred
        return cell.appointment_ids[0]

    @property
    def shared_count(self) -> int:
        """How many appointments share the cell under the cursor (2 or more: a double booking)."""
        cell = self._cell()
        return len(cell.appointment_ids) if cell else 0

    @property
    def cursor_slot(self) -> dt.time | None:
        grid = self.day_grid
        if grid is None or not grid.slots:
            return None
        return grid.slots[min(self.cursor_row, len(grid.slots) - 1)]

    @property
    def cursor_column_key(self) -> str | None:
        grid = self.day_grid
        if grid is None or not 0 <= self.cursor_column < len(grid.columns):
            return None
        return grid.columns[self.cursor_column].key

    def move_cursor(self, row: int, column: int) -> None:
        grid = self.day_grid
        if grid is None or not grid.slots or not grid.columns:
            return
        row = max(0, min(row, len(grid.slots) - 1))
        column = max(0, min(column, len(grid.columns) - 1))
        old_row = self.cursor_row
        self.cursor_row, self.cursor_column = row, column
        self._row_cache.pop((old_row, False), None)
        self._row_cache.pop((row, False), None)
        self._scroll_to_cursor()
        self.refresh()
        self._highlighted()

    def _scroll_to_cursor(self) -> None:
        if self.day_grid is None or not self.size:
            return
        visible_rows = max(1, self.scrollable_content_region.height - self.HEADER_LINES)
        visible_width = max(1, self.scrollable_content_region.width - TIME_WIDTH)
        x, y = self._body_x(), int(self.scroll_offset.y)
        if self.cursor_row < y:
            y = self.cursor_row
        elif self.cursor_row >= y + visible_rows:
            y = self.cursor_row - visible_rows + 1
        # Sideways in whole columns: the first column shown starts right after the time column.
        shown = max(1, visible_width // self.column_width)
        if self.cursor_column * self.column_width < x:
            x = self.cursor_column * self.column_width
        elif self.cursor_column >= x // self.column_width + shown:
            x = (self.cursor_column - shown + 1) * self.column_width
        if (x, y) != tuple(self.scroll_offset):
            self.scroll_to(x=x, y=y, animate=False, immediate=True)

    def _highlighted(self) -> None:
        self.post_message(self.AppointmentHighlighted(self, self.appointment_id, self.cursor_column, self.cursor_row))

    def action_cursor(self, columns: int, rows: int) -> None:
        self._preferred = None
        self.move_cursor(self.cursor_row + rows, self.cursor_column + columns)

    def action_page(self, pages: int) -> None:
        step = max(1, self.scrollable_content_region.height - self.HEADER_LINES - 1)
        self.move_cursor(self.cursor_row + pages * step, self.cursor_column)

    def action_edge(self, edge: str) -> None:
        grid = self.day_grid
        if grid is None:
            return
        row, column = self.cursor_row, self.cursor_column
        if edge == "home":
            column = 0
        elif edge == "end":
            column = len(grid.columns) - 1
        elif edge == "top":
            row = 0
        else:
            row = len(grid.slots) - 1
        self.move_cursor(row, column)

    def action_choose(self) -> None:
        self.post_message(self.Chosen(self, self.appointment_id))

    def action_other_in_cell(self) -> None:
        """In a double-booked cell, select the next appointment sharing it."""
        cell = self._cell()
        if cell is None or len(cell.appointment_ids) < 2:
            return
        current = self.appointment_id
        index = cell.appointment_ids.index(current) if current in cell.appointment_ids else -1
        self._preferred = cell.appointment_ids[(index + 1) % len(cell.appointment_ids)]
        self._highlighted()

    def select_appointment(self, appointment_id: int) -> bool:
        grid = self.day_grid
        position = grid.position_of(appointment_id) if grid else None
        if position is None:
            return False
        self._preferred = appointment_id
        self.move_cursor(*position)
        return True

    def on_click(self, event: events.Click) -> None:
        grid = self.day_grid
        if grid is None or event.y < self.HEADER_LINES or event.x < TIME_WIDTH:
            return
        row = event.y - self.HEADER_LINES + int(self.scroll_offset.y)
        column = (event.x - TIME_WIDTH + self._body_x()) // self.column_width
        if row == self.cursor_row and column == self.cursor_column and event.chain > 1:
            self.action_choose()
            return
        self._preferred = None
        self.move_cursor(row, column)


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
        self.add_column(Text("Mark"), key="mark", width=len(CLASH_MARK))
        self.add_column(Text("Kind"), key="kind", width=KIND_WIDTH)
        # The details wrap within the width left (a clash names both families: it must not be cut at the edge).
        self.add_column(Text("Details"), key="details", width=self._details_width())
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
                height=None,
            )

    def _details_width(self) -> int:
        width = self.scrollable_content_region.width or self.app.size.width
        padding = 2 * self.cell_padding * 3 + 2  # and room for a scrollbar when the list is long
        return max(MIN_DETAILS, width - len(CLASH_MARK) - KIND_WIDTH - padding)

    def on_resize(self) -> None:
        details = self.columns.get(ColumnKey("details"))
        if details is not None and details.width != self._details_width():
            self.redraw()

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
    return "by professional" if mode is GridMode.PROFESSIONAL else "by room"
