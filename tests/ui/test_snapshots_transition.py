"""Snapshots of the transition screens on the demo data at the fixed date (25/11/2026), at 80x24 and 120x40.

Regenerate after an intended change with ``pytest tests/ui/test_snapshots_transition.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from coordinator_tui.ui.app import CoordinatorApp
from tests.ui.helpers import settle, type_text

Before = Callable[[Pilot[Any]], Awaitable[None]]
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


def caseload(*keys: str) -> Before:
    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("down", "4")
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return before


def transition_tab(*keys: str) -> Before:
    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await type_text(pilot, "EXH100014")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return before


CASES: dict[str, Before] = {
    "caseload": caseload(),
    "caseload_filtered": caseload("o", "c"),
    "transition_tab": transition_tab(),
}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("case", list(CASES))
def test_snapshot(case: str, size: str, app: CoordinatorApp, snap_compare: Any) -> None:
    assert snap_compare(app, terminal_size=SIZES[size], run_before=CASES[case])


def test_snapshot_not_applicable_form(app: CoordinatorApp, snap_compare: Any) -> None:
    """The reason form after Enter with no reason: still open, the message under the input."""
    assert snap_compare(app, terminal_size=(80, 24), run_before=transition_tab("n", "enter"))


def test_snapshot_light_theme_transition_tab(app: CoordinatorApp, snap_compare: Any) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        pilot.app.theme = "textual-light"
        await transition_tab()(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=before)
