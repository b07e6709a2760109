"""The app's data table (``ui/widgets/data_table.py``) shows cells at their measured widths even when a frame was
drawn between adding the rows and Textual measuring them (a busy machine): the flake behind "never atte" under
"Why invite" on the invitations screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from coordinator_tui.ui.widgets.data_table import DataTable
from tests.ui.helpers import pilot_test

REASON = "last attended 08/06/2026, review every 6 months: due 08/12/2026"


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable[Text]()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Patient", key="patient", width=20)
        table.add_column("Why invite", key="why")


def row_texts(table: DataTable[Text]) -> list[str]:
    return [table.render_line(y).text for y in range(table.row_count + 1)]


@pilot_test
async def test_cells_drawn_before_the_table_measured_them_are_redrawn_at_the_measured_width() -> None:
    app = OneTable()
    async with app.run_test(size=(100, 10)) as pilot:
        table = app.query_one(DataTable)
        table.add_row(Text("Testpatient Cherry"), Text(REASON), key="cherry")
        # A frame drawn now, before the table is idle and measures the new row, sees the header's width.
        assert REASON not in row_texts(table)[1]
        await pilot.pause()
        assert REASON in row_texts(table)[1]
        await pilot.pause()
        screen = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert REASON in screen


@pilot_test
async def test_a_wider_value_given_to_a_cell_widens_its_column_on_screen() -> None:
    app = OneTable()
    async with app.run_test(size=(100, 10)) as pilot:
        table = app.query_one(DataTable)
        table.add_row(Text("Testpatient Cherry"), Text("due"), key="cherry")
        await pilot.pause()
        assert "due" in row_texts(table)[1]
        table.update_cell("cherry", "why", Text(REASON), update_width=True)
        assert REASON not in row_texts(table)[1]
        await pilot.pause()
        assert REASON in row_texts(table)[1]
