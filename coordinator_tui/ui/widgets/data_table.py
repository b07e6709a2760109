"""The app's data table: Textual's ``DataTable``, redrawn in full when its measured column widths change.

Textual measures the cells of new or changed rows when the table is next idle, and caches each cell's drawing
without its width. On a busy machine a frame can be drawn between ``add_row`` and that measurement: the new cells
are drawn at the header's width ("never atte" under "Why invite"), and stay cut short after the measurement, until
something else clears the cache (a cursor move redraws only its own row). Every table of the app is this class, so
that a list filled by a background load always shows its cells at their measured widths.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from textual.widgets import DataTable as TextualDataTable
from textual.widgets.data_table import RowKey

CellType = TypeVar("CellType")


class DataTable(TextualDataTable[CellType]):
    """A ``DataTable`` whose cached cell drawings are dropped whenever the measured column widths change."""

    _drawn_widths: tuple[int, ...] = ()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # Textual calls this when idle, after measuring new and changed cells (``_update_column_widths``).
        super()._update_dimensions(new_rows)
        widths = tuple(column.get_render_width(self) for column in self.ordered_columns)
        if widths != self._drawn_widths:
            self._drawn_widths = widths
            self._clear_caches()
            self.refresh()
