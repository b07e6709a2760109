"""What the Transition tab reads of a patient's checklist: the stages in the rules' order, the current stage, the
checklist's closing, the planned-transfer warning and the rules' clinical sign-off.

Every person here is fictional. The clock is fixed at 25 November 2026 (conftest).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from coordinator_tui.db import Database
from coordinator_tui.models import Patient
from coordinator_tui.services.safety.records import update_record
from coordinator_tui.services.service_details import store_service_rules
from coordinator_tui.services.transition.checklists import (
    NOT_REVIEWED,
    checklist_for_patient,
    patient_checklist,
    rules_sign_off,
)
from coordinator_tui.services.transition.milestone_rules import load_rules
from coordinator_tui.services.transition.rules_change import regenerate_everyone
from tests.postgres_server import both_databases
from tests.test_rules_change import add_patients

pytestmark = both_databases

TODAY = dt.date(2026, 11, 25)


def a_patient_of_14(db: Database) -> int:
    (patient_id,) = db.write(add_patients, [dt.date(2012, 7, 20)])
    regenerate_everyone(db, load_rules())
    return patient_id


def test_stages_follow_the_rules_order_and_an_unlisted_stage_comes_last(db: Database) -> None:
    patient_id = a_patient_of_14(db)
    rules = load_rules()
    by_date = db.read(checklist_for_patient, patient_id, today=TODAY)
    in_order = db.read(checklist_for_patient, patient_id, today=TODAY, rules=rules)

    stages = [group.stage for group in in_order.groups]
    assert stages == sorted(stages, key=rules.stage_rank)
    assert [stage for stage in stages if stage in ("Go", "Hello", "Ready", "Steady")] == [
        "Ready",
        "Steady",
        "Go",
        "Hello",
    ]
    assert sorted(map(str, in_order.rows), key=str) == sorted(map(str, by_date.rows), key=str)  # same items

    reordered = dataclasses.replace(rules, stages=("Yearly reviews", "Go"))
    stages = [group.stage for group in db.read(checklist_for_patient, patient_id, today=TODAY, rules=reordered).groups]
    assert stages[:2] == ["Yearly reviews", "Go"]
    unlisted = [stage for stage in [g.stage for g in by_date.groups] if stage not in ("Yearly reviews", "Go")]
    assert stages[2:] == unlisted  # the others after, in the order of their earliest due date


def test_the_current_stage_is_the_stage_of_the_open_item_due_first(db: Database) -> None:
    patient_id = a_patient_of_14(db)
    checklist = db.read(checklist_for_patient, patient_id, today=TODAY, rules=load_rules())
    first = checklist.first_open
    assert first is not None
    open_dates = [row.item.due_date for row in checklist.rows if row.item.status.value in ("todo", "in_progress")]
    assert first.item.due_date == min(open_dates)
    assert checklist.current_stage == first.item.stage


def test_closing_and_a_passed_transfer_date_are_read_with_the_checklist(db: Database) -> None:
    patient_id = a_patient_of_14(db)
    checklist = db.read(checklist_for_patient, patient_id, today=TODAY)
    assert (checklist.closed_on, checklist.closed_reason, checklist.transfer_warning) == (None, "", "")

    changes = {
        "checklist_closed_on": dt.date(2026, 11, 20),
        "checklist_closed_reason": "reached 25",
        "planned_transfer_date": dt.date(2026, 10, 1),
    }
    db.write(lambda session: update_record(session, Patient, patient_id, changes))
    checklist = db.read(checklist_for_patient, patient_id, today=TODAY)
    assert (checklist.closed_on, checklist.closed_reason) == (dt.date(2026, 11, 20), "reached 25")
    assert checklist.transfer_warning == "Planned transfer 01/10/2026 has passed: has the transfer happened?"


def test_the_sign_off_in_words(db: Database) -> None:
    patient_id = a_patient_of_14(db)
    assert rules_sign_off(load_rules()) == NOT_REVIEWED == "Rules not yet reviewed by the service's clinical lead"
    assert patient_checklist(db, patient_id, zone="Europe/London").sign_off == NOT_REVIEWED

    signed = 'reviewed_by = "Dr Quinn Gooseberry"\nreviewed_on = 2026-11-01\n'
    store_service_rules(db, signed, "northshire.toml", expected_version=0)
    checklist = patient_checklist(db, patient_id, zone="Europe/London")
    assert checklist.sign_off == "Rules reviewed by Dr Quinn Gooseberry on 01/11/2026"
    assert rules_sign_off(None, "northshire.toml, line 3: unknown key") == (
        "Milestone rules could not be read: northshire.toml, line 3: unknown key"
    )
