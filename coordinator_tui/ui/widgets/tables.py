"""Small building blocks for list screens: a row table whose Enter is shown in the footer, a filter input."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input


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
