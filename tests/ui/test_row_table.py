"""Pilot tests of RowTable, the patient list's fast table: keys, clicks, cursor kept by key, cut cells."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult

from coordinator_tui.ui.widgets.row_table import RowTable, fit
from tests.ui.helpers import pilot_test

COLUMNS = [("Name", 12), ("Age", 3)]


def rows(n: int, start: int = 0) -> list[tuple[str, tuple[str, str]]]:
    return [(f"k{i}", (f"Person {i:02d}", str(i))) for i in range(start, start + n)]


class TableApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.selected: list[str] = []
        self.highlighted: list[str] = []

    def compose(self) -> ComposeResult:
        yield RowTable(id="t")

    def on_mount(self) -> None:
        table = self.query_one(RowTable)
        table.set_columns(COLUMNS)
        table.set_rows(rows(30))
        table.focus()

    def on_row_table_row_selected(self, event: RowTable.RowSelected) -> None:
        self.selected.append(event.key)

    def on_row_table_row_highlighted(self, event: RowTable.RowHighlighted) -> None:
        self.highlighted.append(event.key)


def screen_lines(app: App[Any]) -> list[str]:
    table = app.query_one(RowTable)
    return [table.render_line(y).text for y in range(table.size.height)]


def test_fit_cuts_with_an_ellipsis_and_pads() -> None:
    assert fit("Bramblecombe-Featherstonehaugh", 10) == "Brambleco…"
    assert fit("Pip", 5) == "Pip  "
    assert fit("line\nbreak", 10) == "line break"
    assert fit("名前名前名前", 5) == "名前…"  # wide characters counted as two cells
    assert fit("anything", 0) == ""


@pilot_test
async def test_keys_move_the_cursor_and_enter_selects() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(RowTable)
        assert table.row_count == 30 and table.selected_key == "k0"
        await pilot.press("down", "down")
        assert table.selected_key == "k2"
        await pilot.press("up")
        assert table.selected_key == "k1"
        await pilot.press("end")
        await pilot.pause()
        assert table.selected_key == "k29"
        lines = screen_lines(app)
        assert lines[0].strip().startswith("Name")  # the header stays on top when scrolled
        assert any("Person 29" in line for line in lines)
        assert not any("Person 00" in line for line in lines)
        await pilot.press("pageup")
        assert table.cursor_row < 29
        await pilot.press("home")
        await pilot.pause()
        assert table.selected_key == "k0"
        assert "Person 00" in screen_lines(app)[1]
        await pilot.press("pagedown")
        assert table.cursor_row == table.scrollable_content_region.height - 2
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == [table.selected_key]
        assert app.highlighted[-1] == table.selected_key


@pilot_test
async def test_click_highlights_then_a_second_click_selects() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(RowTable)
        await pilot.click(RowTable, offset=(2, 3))  # the header is line 0: line 3 is the third row
        await pilot.pause()
        assert table.selected_key == "k2"
        assert app.selected == []
        await pilot.click(RowTable, offset=(2, 3))
        await pilot.pause()
        assert app.selected == ["k2"]
        await pilot.click(RowTable, offset=(2, 0))  # the header does nothing
        await pilot.pause()
        assert table.selected_key == "k2" and app.selected == ["k2"]


@pilot_test
async def test_new_rows_keep_the_cursor_on_the_same_key_or_go_to_the_first() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(RowTable)
        table.move_cursor(row=5)
        table.set_rows(rows(10, start=3))  # k5 is now the third row
        await pilot.pause()
        assert table.selected_key == "k5" and table.cursor_row == 2
        table.set_rows(rows(4, start=20))
        assert table.selected_key == "k20"
        table.set_rows(rows(4, start=20), keep="k22")
        assert table.selected_key == "k22"
        assert table.move_to_key("k23") and table.selected_key == "k23"
        assert not table.move_to_key("nobody")
        table.set_rows([])
        await pilot.pause()
        assert table.row_count == 0 and table.selected_key is None
        await pilot.press("enter", "down")  # nothing to select or move to: no error
        assert app.selected == []
        assert screen_lines(app)[1].strip() == ""


@pilot_test
async def test_new_columns_lay_the_rows_out_again() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(RowTable)
        table.set_columns([("Name", 6), ("Age", 3)])
        await pilot.pause()
        assert screen_lines(app)[1].startswith(" Perso…  0 ")
        assert table.virtual_size.width == 6 + 3 + 4
