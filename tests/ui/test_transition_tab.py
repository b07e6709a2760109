"""The Transition tab in the rules' stage order, with the current stage's heading in view, missed items and a
closed checklist in words, the planned-transfer warning on top, and the rules' clinical sign-off on the tab and in
the help.

Demo data (40 patients, seed 7) as of the fixed clock (25/11/2026), from ``tests/ui/conftest.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, select

from coordinator_tui.db import Database
from coordinator_tui.models import Patient, TransitionItem, TransitionStatus
from coordinator_tui.services.safety.records import update_record
from coordinator_tui.services.service_details import store_service_rules
from coordinator_tui.services.transition.checklists import NOT_REVIEWED
from coordinator_tui.services.transition.milestone_rules import load_rules
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.widgets.help import HelpScreen
from coordinator_tui.ui.widgets.transition_list import STAGE_KEY_PREFIX, TransitionTable
from tests.ui.helpers import SIZE, pilot_test, settle, table_keys
from tests.ui.test_transition_ui import HOSPITAL_NUMBER, open_transition_tab, patient_by_number

SIGNED_OFF = 'reviewed_by = "Dr Quinn Gooseberry"\nreviewed_on = 2026-11-01\n'


def headings(table: TransitionTable) -> list[str]:
    """The stage names of the heading rows, top to bottom."""
    names = []
    for key in table_keys(table):
        if key.startswith(STAGE_KEY_PREFIX):
            names.append(str(table.get_row(key)[2]).split("━━")[1].strip())
    return names


def heading_in_view(table: TransitionTable, stage: str) -> bool:
    row = next(
        i
        for i, key in enumerate(table_keys(table))
        if key.startswith(STAGE_KEY_PREFIX) and stage in str(table.get_row(key)[2])
    )
    shown = table.scrollable_content_region.height - table.header_height
    return table.scroll_y <= row < table.scroll_y + shown


@pilot_test
async def test_stages_follow_the_rules_order_and_the_current_stage_heading_is_in_view(
    app: CoordinatorApp, demo_db: Database
) -> None:
    order = load_rules().stages
    async with app.run_test(size=SIZE) as pilot:
        widget = await open_transition_tab(pilot)
        table = widget.query_one(TransitionTable)
        shown = headings(table)
        assert shown == sorted(shown, key=lambda stage: order.index(stage) if stage in order else len(order))
        assert len(shown) >= 3
        checklist = widget.checklist
        assert checklist is not None and checklist.first_open is not None
        current = checklist.current_stage
        assert current == checklist.first_open.item.stage
        assert table.selected_key == str(checklist.first_open.item.id)  # the open item due first
        assert heading_in_view(table, str(current))
        sign_off = str(widget.query_one("#transition-signoff").render())
        assert sign_off == NOT_REVIEWED  # the shipped rules: not yet reviewed by the service's clinical lead


@pilot_test
async def test_a_later_stage_heading_is_scrolled_into_view(app: CoordinatorApp, demo_db: Database) -> None:
    """Everything before the Go stage done: the tab opens with Go's heading at the top, not the list's start."""
    patient = patient_by_number(demo_db)

    def finish_before_go(session: Session) -> None:
        rules = load_rules()
        go = rules.stage_rank("Go")
        for item in session.exec(select(TransitionItem).where(TransitionItem.patient_id == patient.id)).all():
            if rules.stage_rank(item.stage) < go and item.status in (
                TransitionStatus.TODO,
                TransitionStatus.IN_PROGRESS,
            ):
                changes = {"status": TransitionStatus.DONE, "completed_on": dt.date(2026, 11, 1)}
                update_record(session, TransitionItem, item.id, changes, expected_version=item.version)

    demo_db.write(finish_before_go)
    async with app.run_test(size=SIZE) as pilot:
        widget = await open_transition_tab(pilot)
        table = widget.query_one(TransitionTable)
        checklist = widget.checklist
        assert checklist is not None
        current = checklist.current_stage
        assert current is not None and load_rules().stage_rank(current) >= load_rules().stage_rank("Go")
        assert table.scroll_y > 0
        assert heading_in_view(table, current)
        assert table.selected_key == str(checklist.first_open.item.id)  # type: ignore[union-attr]


@pilot_test
async def test_missed_items_closed_checklist_and_transfer_warning_in_words(
    app: CoordinatorApp, demo_db: Database
) -> None:
    patient = patient_by_number(demo_db)

    def close_with_one_missed(session: Session) -> int:
        item = session.exec(
            select(TransitionItem).where(
                TransitionItem.patient_id == patient.id, TransitionItem.status == TransitionStatus.TODO
            )
        ).first()
        assert item is not None and item.id is not None
        changes: dict[str, Any] = {"status": TransitionStatus.MISSED, "status_reason": "the checklist closed"}
        update_record(session, TransitionItem, item.id, changes, expected_version=item.version)
        update_record(
            session,
            Patient,
            patient.id,
            {
                "checklist_closed_on": dt.date(2026, 11, 20),
                "checklist_closed_reason": "follow-up after transfer done",
                "planned_transfer_date": dt.date(2026, 10, 1),
            },
        )
        return item.id

    missed_id = demo_db.write(close_with_one_missed)
    async with app.run_test(size=SIZE) as pilot:
        widget = await open_transition_tab(pilot)
        table = widget.query_one(TransitionTable)
        assert str(table.get_row(str(missed_id))[1]) == "✗ MISSED"
        table.move_cursor(row=table.get_row_index(str(missed_id)))
        await settle(pilot)
        detail = str(widget.query_one("#transition-detail").render())
        assert "✗ MISSED" in detail and "Missed: the checklist closed" in detail
        notice = str(widget.query_one("#transition-notice").render())
        assert "⚠ Planned transfer 01/10/2026 has passed: has the transfer happened?" in notice
        assert "Checklist closed on 20/11/2026: follow-up after transfer done" in notice


@pilot_test
async def test_the_tab_and_the_help_show_who_reviewed_the_rules(app: CoordinatorApp, demo_db: Database) -> None:
    store_service_rules(demo_db, SIGNED_OFF, "northshire.toml", expected_version=demo_version(demo_db))
    async with app.run_test(size=SIZE) as pilot:
        widget = await open_transition_tab(pilot, HOSPITAL_NUMBER)
        expected = "Rules reviewed by Dr Quinn Gooseberry on 01/11/2026"
        assert str(widget.query_one("#transition-signoff").render()) == expected
        await pilot.press("f1")
        await settle(pilot)
        help_screen = pilot.app.screen
        assert isinstance(help_screen, HelpScreen)
        assert help_screen.notes == (expected,)
        assert expected in str(help_screen.query_one("#help-notes").render())


def demo_version(db: Database) -> int:
    from coordinator_tui.services.service_details import service_details

    return service_details(db).version
