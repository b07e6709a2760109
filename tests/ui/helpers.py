"""Helpers for the Pilot tests of the patient-side screens (run with asyncio: no async pytest plugin needed)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable
from textual.worker import WorkerCancelled

from coordinator_tui.ui.widgets.row_table import RowTable

SIZE = (80, 24)


def pilot_test(body: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(body)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(body(*args, **kwargs))

    return run


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish, and what they start on the UI thread (a reload after a save) finish too."""
    for _ in range(4):
        # An exclusive worker replaced by a newer one ends "cancelled": the next round waits for the newer one.
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def type_text(pilot: Pilot[Any], text: str) -> None:
    from textual.keys import _character_to_key

    await pilot.press(*[_character_to_key(ch) for ch in text])


def table_keys(table: DataTable[Any] | RowTable) -> list[str]:
    if isinstance(table, RowTable):
        return table.keys
    return [str(row.key.value) for row in table.ordered_rows]


def cell_texts(table: DataTable[Any] | RowTable, column: int) -> list[str]:
    if isinstance(table, RowTable):
        return [table.row(i)[column] for i in range(table.row_count)]
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


def footer_bindings(pilot: Pilot[Any]) -> list[tuple[str, str]]:
    """(key, action) of what the footer shows now: the same selection the Footer widget makes."""
    return [
        (key, active.binding.action)
        for key, active in pilot.app.screen.active_bindings.items()
        if active.binding.show and active.enabled
    ]


async def steady_cursors(pilot: Pilot[Any]) -> None:
    """Stop every text cursor blinking and settle, so a snapshot does not depend on when the blink was caught."""
    from textual.widgets import Input, TextArea

    for screen in pilot.app.screen_stack:
        for widget in screen.query(Input):
            widget.cursor_blink = False
        for area in screen.query(TextArea):
            area.cursor_blink = False
    await settle(pilot)


async def showing(pilot: Pilot[Any], *texts: str, rounds: int = 40) -> str:
    """The screen's text once every one of ``texts`` is on it (a busy machine can draw a table a frame late);
    after ``rounds`` pauses, the screen's text as it is, for the test's own assertion to report."""
    text = ""
    for _ in range(rounds):
        text = "\n".join(strip.text for strip in pilot.app.screen._compositor.render_strips())
        if all(t in text for t in texts):
            break
        await pilot.pause(0.05)
    return text
