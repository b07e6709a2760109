"""A light, fast list of rows with fixed-width columns, for lists that are replaced at every keystroke.

Textual's DataTable renders every visible cell through Rich each time its rows are replaced (about 20–25 ms for
a screenful of eight columns), which is most of a filter keystroke's budget. ``RowTable`` is a Line API widget:
each row becomes one line of segments when the rows are set, and drawing a frame only picks the visible lines
and styles the cursor and zebra stripes. It keeps DataTable's keys and look: ↑ ↓ PgUp PgDn Home End move the
cursor, Enter (or a click on the highlighted row) posts ``RowTable.RowSelected``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from coordinator_tui.terminal_text import visible

CELL_PADDING = 1  # spaces either side of each cell, as DataTable draws them


def fit(text: str, width: int) -> str:
    """``text`` on one line, cut with an ellipsis or padded with spaces to exactly ``width`` cells; a control
    character or bidirectional control in it is shown visibly (``\\x1b``, ``<U+202E>``), never obeyed."""
    text = visible(" ".join(text.split()))
    if cell_len(text) > width:
        return set_cell_size(text, max(0, width - 1)) + "…" if width else ""
    return set_cell_size(text, width)


class RowTable(ScrollView, can_focus=True):
    """Rows of text under a header, one row highlighted by a cursor; rows are identified by a string key."""

    HELP_TITLE = "List"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open", key_display="Enter"),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "row-table--header",
        "row-table--even-row",
        "row-table--cursor",
    }
    DEFAULT_CSS = """
    RowTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        &:focus {
            background-tint: $foreground 5%;
            & > .row-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .row-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .row-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .row-table--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .row-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .row-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=False, repaint=False)

    class RowMessage(Message):
        """Something happened to the row with this key."""

        def __init__(self, table: RowTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RowTable:
            return self.table

    class RowSelected(RowMessage):
        """Enter was pressed (or the highlighted row clicked) on the row with this key."""

    class RowHighlighted(RowMessage):
        """The cursor moved to the row with this key."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._columns: list[tuple[str, int]] = []
        self._keys: list[str] = []
        self._cells: list[tuple[str, ...]] = []
        self._lines: list[str] = []  # each row as one padded line of text
        self._header = ""

    # ------------------------------------------------------------------------------------------------------------
    # Content
    # ------------------------------------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def row(self, index: int) -> tuple[str, ...]:
        """The cells of the row at ``index`` as given to ``set_rows``."""
        return self._cells[index]

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor, or None when the table is empty."""
        return self._keys[self.cursor_row] if self._keys else None

    def _line(self, cells: Sequence[str]) -> str:
        pad = " " * CELL_PADDING
        widths = [width for _title, width in self._columns]
        return "".join(pad + fit(cell, width) + pad for cell, width in zip(cells, widths, strict=False))

    def set_columns(self, columns: Iterable[tuple[str, int]]) -> None:
        """Column titles and widths in cells; the rows are laid out again for them."""
        self._columns = list(columns)
        self._header = self._line([title for title, _width in self._columns])
        self._lines = [self._line(cells) for cells in self._cells]
        self._resized()

    def set_rows(self, rows: Iterable[tuple[str, Sequence[str]]], *, keep: str | None = None) -> None:
        """Replace the rows with ``(key, cells)``; the cursor stays on ``keep`` (default: the current row's key)
        when that row is still there, else goes to the first row."""
        if keep is None:
            keep = self.selected_key
        self._keys, self._cells = [], []
        for key, cells in rows:
            self._keys.append(key)
            self._cells.append(tuple(cells))
        self._lines = [self._line(cells) for cells in self._cells]
        index = self._keys.index(keep) if keep is not None and keep in self._keys else 0
        self._resized()
        self.set_reactive(RowTable.cursor_row, index)
        self._show_cursor()
        self.refresh()
        if self._keys:
            self.post_message(self.RowHighlighted(self, self._keys[index]))

    def move_to_key(self, key: str) -> bool:
        if key not in self._keys:
            return False
        self.move_cursor(row=self._keys.index(key))
        return True

    def move_cursor(self, *, row: int) -> None:
        if self._keys:
            self.cursor_row = max(0, min(row, len(self._keys) - 1))

    def _resized(self) -> None:
        width = sum(w + 2 * CELL_PADDING for _t, w in self._columns)
        self.virtual_size = Size(width, len(self._keys) + 1)  # the header is line 0

    # ------------------------------------------------------------------------------------------------------------
    # Drawing
    # ------------------------------------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        if y == 0:
            text, style = self._header, base + self.get_component_rich_style("row-table--header")
        else:
            index = scroll_y + y - 1
            if index >= len(self._lines):
                return Strip.blank(width, base)
            text = self._lines[index]
            style = base
            if index % 2:
                style += self.get_component_rich_style("row-table--even-row")
            if index == self.cursor_row:
                style += self.get_component_rich_style("row-table--cursor")
        strip = Strip([Segment(text, style)], cell_len(text))
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.refresh()

    # ------------------------------------------------------------------------------------------------------------
    # Cursor
    # ------------------------------------------------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._show_cursor()
        self._refresh_row(old)
        self._refresh_row(new)
        if self._keys:
            self.post_message(self.RowHighlighted(self, self._keys[new]))

    def _refresh_row(self, index: int) -> None:
        y = index + 1 - self.scroll_offset.y
        if 0 < y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _show_cursor(self) -> None:
        if self._keys:
            self.scroll_to_region(
                Region(0, self.cursor_row + 1, 1, 1), spacing=Spacing(top=1), animate=False, force=True, immediate=True
            )

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self._page())

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self._page())

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._keys) - 1)

    def action_select_cursor(self) -> None:
        if self._keys:
            self.post_message(self.RowSelected(self, self._keys[self.cursor_row]))

    async def _on_click(self, event: events.Click) -> None:
        index = event.y + self.scroll_offset.y - 1
        if event.y == 0 or not 0 <= index < len(self._keys):
            return
        if index == self.cursor_row:
            self.action_select_cursor()
        else:
            self.cursor_row = index
