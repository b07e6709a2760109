"""Small building blocks for list screens: a row table whose Enter is shown in the footer, a filter input."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

from coordinator_tui.ui.widgets.data_table import DataTable


class RecordTable(DataTable[str]):
    """A row-cursor table of records; Enter opens the highlighted one (``DataTable.RowSelected``).

    Subclass it to name what Enter does (the footer and the help screen show the description)::

        class PatientTable(RecordTable):
            HELP_TITLE = "Patient list"
            BINDINGS = [Binding("enter", "select_cursor", "Open patient", key_display="Enter")]
    """

    HELP_TITLE = "List"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open", key_display="Enter"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id, classes=classes)

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor, or None when the table is empty."""
        if self.row_count == 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None

    def move_to_key(self, key: str) -> bool:
        try:
            index = self.get_row_index(key)
        except Exception:
            return False
        self.move_cursor(row=index)
        return True


class FilterInput(Input):
    """Filter-as-you-type box: Enter opens the highlighted row, ↓ moves into the list, Esc clears."""

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id, compact=True)

    HELP_TITLE = "Filter box"
    DEFAULT_CSS = """
    FilterInput {
        background: $boost;
    }
    FilterInput:focus {
        background: $boost;
        text-style: bold;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Open", key_display="Enter"),
        Binding("down", "to_list", "To list", key_display="↓"),
        Binding("escape", "clear_filter", "Clear", key_display="Esc"),
    ]

    def action_to_list(self) -> None:
        self.screen.focus_next()

    def action_clear_filter(self) -> None:
        if self.value:
            self.value = ""
        else:
            self.screen.focus_next()


@dataclass(frozen=True)
class Column:
    """A table column that fits the terminal: ``width`` when there is room, down to ``minimum``; when even the
    columns' minimum widths do not fit, the column with the highest ``drop`` goes first (0: never dropped; what a
    dropped column held is in the panel under the list)."""

    title: str
    width: int
    minimum: int = 0
    drop: int = 0
    grows_first: bool = False  # given spare room before the others (the column that says what a row is)

    @property
    def least(self) -> int:
        return self.minimum or self.width


def fit_columns(columns: Sequence[Column], width: int, *, padding: int = 2, reserve: int = 2) -> list[tuple[str, int]]:
    """(title, width) of the columns that fit ``width`` cells (``padding`` around each cell, ``reserve`` for the
    scroll bar), in their order: the least important dropped, then each grown from its minimum towards its width
    while room is left: a column that ``grows_first``, then those never dropped, then the others from the last to be
    dropped."""
    kept = list(columns)
    room = width - reserve

    def needed(cols: Sequence[Column]) -> int:
        return sum(column.least + padding for column in cols)

    while needed(kept) > room and any(column.drop for column in kept):
        kept.remove(max((c for c in kept if c.drop), key=lambda c: c.drop))
    sizes = {column.title: column.least for column in kept}
    spare = room - needed(kept)
    for column in sorted(kept, key=lambda c: (not c.grows_first, c.drop)):  # stable: the order given among equals
        grow = max(0, min(column.width - column.least, spare))
        sizes[column.title] += grow
        spare -= grow
    return [(column.title, sizes[column.title]) for column in kept]


def refit_columns(
    table: DataTable[str],
    columns: Sequence[Column],
    width: int,
    shown: list[tuple[str, int]],
    *,
    lower_keys: bool = False,
) -> list[tuple[str, int]] | None:
    """Fit ``columns`` to a terminal ``width`` wide; when that differs from what is ``shown``, empty ``table`` and
    put the new columns in (keyed by title, lower-cased if asked) and return them (the caller puts its rows in again);
    None when nothing changed."""
    fitted = fit_columns(columns, width)
    if fitted == shown:
        return None
    table.clear(columns=True)
    for title, size in fitted:
        table.add_column(title, key=title.lower() if lower_keys else title, width=size)
    return fitted


def shrink_when_empty(table: DataTable[object]) -> None:
    """An empty table takes only its header's line, so that what is said under it ("No one in the care team
    yet: press a to add someone") sits right under the headers, not at the foot of an empty box; a table with rows
    takes the height its style gives it again."""
    if table.row_count == 0:
        table.styles.height = "auto"
    else:
        table.styles.clear_rule("height")
