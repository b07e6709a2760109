"""Screens closed and keys redrawn are released: nothing keeps growing while the nurse works all day."""

from __future__ import annotations

import gc

from textual.widget import Widget
from textual.widgets import Header
from textual.widgets._footer import FooterKey

from coordinator_tui.db import Database
from coordinator_tui.services.people.patients import search_patients
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import PatientRecordScreen
from coordinator_tui.ui.watchers import prune_dead_watchers
from coordinator_tui.ui.widgets.footer import ScreenFooter
from tests.ui.helpers import SIZE, pilot_test, settle


def alive(kind: type[Widget]) -> int:
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())


@pilot_test
async def test_records_opened_and_closed_are_released(app: CoordinatorApp, demo_db: Database) -> None:
    with demo_db.session() as session:
        ids = [p.id for p in search_patients(session, "")[:8]]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        headers, keys = alive(Header), alive(FooterKey)
        for patient_id in ids:
            await app.open_patient(patient_id)  # type: ignore[arg-type]
            await settle(pilot)
            await pilot.press("c", "f", "v", "t", "escape")  # every tab, so the footer is redrawn each time
            await settle(pilot)
        assert alive(PatientRecordScreen) == 0
        assert alive(Header) == headers  # the app's title no longer holds each record's header
        assert alive(FooterKey) <= keys + 12  # the home footer's replaced keys are let go (a few may be in flight)


def test_prune_keeps_live_watchers_and_drops_closed_ones() -> None:
    class Node:
        def __init__(self, closing: bool = False, closed: bool = False) -> None:
            self._closing, self._closed = closing, closed

    class Observed:
        pass

    live, closing, closed = Node(), Node(closing=True), Node(closed=True)
    observed = Observed()
    setattr(observed, "__watchers", {"title": [(live, print), (closing, print)], "compact": [(closed, print)]})
    assert prune_dead_watchers(observed) == 2
    assert getattr(observed, "__watchers") == {"title": [(live, print)], "compact": []}
    assert prune_dead_watchers(Observed()) == 0


@pilot_test
async def test_the_footer_rebuilds_its_keys_only_when_they_change(app: CoordinatorApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(ScreenFooter)

        def shown() -> list[FooterKey]:
            return list(footer.query(FooterKey))

        before = shown()
        assert "Find" not in [key.description for key in before]  # the filter has the focus: Find is hidden
        app.screen.refresh_bindings()  # bindings updated, the same keys
        await settle(pilot)
        assert shown() == before and all(a is b for a, b in zip(shown(), before, strict=True))
        await pilot.press("down")  # into the list: Find is offered again
        await settle(pilot)
        after = shown()
        assert "Find" in [key.description for key in after]
        assert not set(map(id, after)) & set(map(id, before))
