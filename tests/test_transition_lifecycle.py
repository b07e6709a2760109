"""A checklist's life (issue 19): late joiners, transfers recorded or not, closing and reopening, done_when, and a
caseload that is not flooded with items whose time has passed.

Every person here is fictional; NHS numbers are in the 999 range. The clock is fixed at 25 November 2026
(conftest). "Tracked since registration" means the checklist was first generated on the registration date (as the
app does on every save) and again today; "imported" means first generated today for an old registration.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from typing import Any

import pytest
from sqlmodel import Session, select

from coordinator_tui.models import AuditEvent, Patient, TransitionItem, TransitionStatus
from coordinator_tui.services.people.patients import archive_patient, create_patient, update_patient
from coordinator_tui.services.safety import audit
from coordinator_tui.services.transition import lifecycle
from coordinator_tui.services.transition.checklists import CaseloadRow, DueFlag, caseload, checklist_for_patient
from coordinator_tui.services.transition.engine import (
    OPEN_STATUSES,
    generate_checklist,
    regenerate_all,
    set_status,
    transfer_date,
)
from coordinator_tui.services.transition.milestone_rules import DueKind, LateEntry, MilestoneRules, load_rules
from coordinator_tui.validation import ValidationError, nhs_check_digit
from tests.postgres_server import both_databases

pytestmark = both_databases

TODAY = dt.date(2026, 11, 25)
_serial = itertools.count(1)


def fictional_nhs_number() -> str:
    while True:
        first_nine = f"999{next(_serial) + 500_000:06d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)


@pytest.fixture
def rules() -> MilestoneRules:
    return load_rules()


def make_patient(session: Session, dob: dt.date, registered_on: dt.date, **values: Any) -> Patient:
    number = next(_serial)
    return create_patient(
        session,
        {
            "nhs_number": fictional_nhs_number(),
            "hospital_number": f"LIFE{number}",
            "given_name": "Testlife",
            "family_name": f"Example{number}",
            "date_of_birth": dob,
            "registered_on": registered_on,
            **values,
        },
    )


def tracked(session: Session, patient: Patient, rules: MilestoneRules) -> None:
    """Generated on the registration date (as the app does on saving the new patient), then again today."""
    generate_checklist(session, patient, rules, today=patient.registered_on)
    generate_checklist(session, patient, rules)


def items_of(session: Session, patient: Patient) -> dict[tuple[str, int], TransitionItem]:
    session.expire_all()
    found = session.exec(select(TransitionItem).where(TransitionItem.patient_id == patient.id)).all()
    return {(item.rule_id, item.occurrence): item for item in found}


def open_items(session: Session, patient: Patient) -> dict[tuple[str, int], TransitionItem]:
    return {key: item for key, item in items_of(session, patient).items() if item.status in OPEN_STATUSES}


def refreshed(session: Session, patient: Patient) -> Patient:
    session.expire_all()
    found = session.get(Patient, patient.id)
    assert found is not None
    return found


def pre_and_post_transfer(rules: MilestoneRules) -> tuple[set[str], set[str]]:
    """Rule ids of the steps before transfer, and of those dated after it (a transfer date plus an offset)."""
    pre = {rule.id for rule in rules.rules if lifecycle.is_pre_transfer(rule)}
    post = {
        rule.id
        for rule in rules.rules
        if rule.due.kind is DueKind.TRANSFER and rule.id not in pre and not rule.due.offset.is_negative()
    }
    return pre, post


def assert_one_consistent_list(session: Session, patient: Patient, rules: MilestoneRules) -> None:
    """No open step before transfer is due after an open step that follows the transfer; nothing is due before
    registration; no transfer step is on the list of someone whose transfer is recorded."""
    pre, post = pre_and_post_transfer(rules)
    items = open_items(session, patient)
    pre_dates = [item.due_date for (rule, _), item in items.items() if rule in pre]
    post_dates = [item.due_date for (rule, _), item in items.items() if rule in post]
    if pre_dates and post_dates:
        assert max(pre_dates) <= min(post_dates)
    assert all(item.due_date >= patient.registered_on for item in items.values())
    if patient.transferred_on is not None:
        assert not pre_dates


# ------------------------------------------------------------------------------------------------------------
# Late joiners
# ------------------------------------------------------------------------------------------------------------


def test_joining_at_17_and_a_half(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2009, 5, 25), TODAY)  # 17 years 6 months today
    generate_checklist(session, patient, rules)
    items = open_items(session, patient)
    assert transfer_date(patient, rules) == dt.date(2027, 5, 25)  # 18th birthday = registration + 6 months
    due = {rule: item.due_date for (rule, occ), item in items.items() if occ == 0}
    assert due["transfer_date_set"] == TODAY  # 12 months before transfer: at once
    assert due["adult_services_identified"] == TODAY
    assert due["meet_adult_practitioners"] == dt.date(2027, 2, 25)
    assert due["first_adult_appointment"] == dt.date(2027, 8, 25)
    assert due["follow_up_after_transfer"] == dt.date(2027, 11, 25)
    assert "rsg_ready" not in due and "rsg_steady" not in due  # for ages long past
    assert_one_consistent_list(session, patient, rules)
    assert caseload(session).overdue == 0  # what still matters falls due at registration, nothing before


def test_joining_at_18_9_moves_the_assumed_transfer_after_registration(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2007, 12, 30), TODAY)  # 18.9: the assumed transfer at 18 has passed
    generate_checklist(session, patient, rules)
    assert transfer_date(patient, rules) == dt.date(2027, 5, 25)  # registration + 6 months
    items = open_items(session, patient)
    due = {rule: item.due_date for (rule, occ), item in items.items() if occ == 0}
    assert due["transfer_date_set"] == TODAY
    assert due["first_adult_appointment"] == dt.date(2027, 8, 25)
    assert due["follow_up_after_transfer"] == dt.date(2027, 11, 25)
    assert lifecycle.TRANSFER_CHECK_ID not in due  # the assumed transfer is ahead: nothing to check yet
    assert_one_consistent_list(session, patient, rules)
    assert caseload(session).overdue == 0


def test_joining_after_transfer(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2008, 1, 1), TODAY, transferred_on=dt.date(2026, 3, 1))  # at 18.9
    generate_checklist(session, patient, rules)
    items = open_items(session, patient)
    pre, _post = pre_and_post_transfer(rules)
    assert not {rule for rule, _ in items} & pre  # no "transfer date agreed" after the transfer
    assert all(item.due_date >= TODAY for item in items.values())
    assert items[("follow_up_after_transfer", 0)].due_date == TODAY  # 1 September: still matters, due now
    assert items[("first_adult_appointment", 0)].due_date == TODAY
    assert (lifecycle.TRANSFER_CHECK_ID, 0) not in items
    assert_one_consistent_list(session, patient, rules)


# ------------------------------------------------------------------------------------------------------------
# Transfers recorded, planned, or never recorded
# ------------------------------------------------------------------------------------------------------------


def test_transfer_recorded_in_the_past_misses_untouched_steps_before_it(
    session: Session, rules: MilestoneRules
) -> None:
    patient = make_patient(session, dt.date(2008, 5, 5), dt.date(2015, 1, 1), planned_transfer_date=dt.date(2027, 3, 1))
    generate_checklist(session, patient, rules, today=patient.registered_on)
    items = items_of(session, patient)
    meet, support = items[("meet_adult_practitioners", 0)], items[("support_before_transfer", 0)]
    set_status(session, meet.id, "done", expected_version=meet.version, completed_on=dt.date(2026, 5, 1))  # type: ignore[arg-type]
    set_status(session, support.id, "in_progress", expected_version=support.version, note="Summary drafted")  # type: ignore[arg-type]
    before = {key for key, item in items.items() if item.due_date < dt.date(2026, 6, 1)}

    update_patient(session, patient.id, {"transferred_on": dt.date(2026, 6, 1)})  # type: ignore[arg-type]
    generate_checklist(session, patient, rules)
    items = items_of(session, patient)
    assert before <= set(items)  # nothing due before the transfer disappears (reviews after it may)
    assert items[("meet_adult_practitioners", 0)].status == TransitionStatus.DONE
    assert items[("support_before_transfer", 0)].status == TransitionStatus.IN_PROGRESS  # started: kept open
    adult = items[("adult_services_identified", 0)]
    assert adult.status == TransitionStatus.MISSED
    assert adult.status_reason == "Not done before the transfer on 01/06/2026"
    assert items[("follow_up_after_transfer", 0)].due_date == dt.date(2026, 12, 1)
    assert lifecycle.transfer_warning(patient, TODAY) == ""
    flags = {row.item.rule_id: row.flag for row in checklist_for_patient(session, patient.id).rows}  # type: ignore[arg-type]
    assert flags["adult_services_identified"] is DueFlag.MISSED


def test_planned_transfer_date_in_the_past_is_one_check_not_every_step_overdue(
    session: Session, rules: MilestoneRules
) -> None:
    patient = make_patient(session, dt.date(2008, 3, 1), dt.date(2015, 1, 1), planned_transfer_date=dt.date(2026, 9, 1))
    generate_checklist(session, patient, rules, today=dt.date(2025, 6, 1))  # tracked while the date was ahead
    generate_checklist(session, patient, rules)
    assert (
        lifecycle.transfer_warning(patient, TODAY)
        == "Planned transfer 01/09/2026 has passed: has the transfer happened?"
    )
    items = open_items(session, patient)
    check = items[(lifecycle.TRANSFER_CHECK_ID, 0)]
    assert check.title.startswith("Planned transfer 01/09/2026 has passed")
    assert check.due_date == dt.date(2026, 9, 1) and check.owner_role == "transition coordinator"
    transfer_rules = {rule.id for rule in rules.rules if rule.due.kind is DueKind.TRANSFER}
    assert not {rule for rule, _ in items} & transfer_rules  # they wait for the transfer to be recorded
    about_transfer = transfer_rules | {lifecycle.TRANSFER_CHECK_ID}
    shown = [row.item.rule_id for row in caseload(session).rows if row.item.rule_id in about_transfer]
    assert shown == [lifecycle.TRANSFER_CHECK_ID]

    update_patient(session, patient.id, {"transferred_on": dt.date(2026, 9, 3)})  # type: ignore[arg-type]
    generate_checklist(session, patient, rules)
    items = open_items(session, patient)
    assert (lifecycle.TRANSFER_CHECK_ID, 0) not in items  # answered by recording the transfer
    assert items[("follow_up_after_transfer", 0)].due_date == dt.date(2027, 3, 3)
    assert lifecycle.transfer_warning(refreshed(session, patient), TODAY) == ""
    assert_one_consistent_list(session, patient, rules)


def test_no_warning_for_a_planned_date_ahead_or_today(session: Session) -> None:
    patient = make_patient(session, dt.date(2009, 1, 1), dt.date(2015, 1, 1), planned_transfer_date=TODAY)
    assert lifecycle.transfer_warning(patient, TODAY) == ""
    assert lifecycle.transfer_warning(patient, TODAY + dt.timedelta(days=1)) != ""


def test_past_the_assumed_transfer_with_none_recorded_gets_one_check(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2007, 6, 1), dt.date(2015, 1, 1))  # 18 on 1 June 2025
    tracked(session, patient, rules)
    items = open_items(session, patient)
    check = items[(lifecycle.TRANSFER_CHECK_ID, 0)]
    assert check.title == lifecycle.TRANSFER_CHECK_TITLE and check.due_date == dt.date(2025, 6, 1)
    transfer_bound = {rule.id for rule in rules.rules if lifecycle.is_transfer_bound(rule, set())}
    assert not {rule for rule, _ in items} & transfer_bound
    assert refreshed(session, patient).checklist_closed_on is None  # open: only the transfer steps wait


def test_a_25_year_old_checklist_closes_on_the_birthday(session: Session, rules: MilestoneRules) -> None:
    turning = make_patient(session, dt.date(2001, 11, 25), dt.date(2012, 1, 1), transferred_on=dt.date(2019, 12, 1))
    not_yet = make_patient(session, dt.date(2001, 11, 26), dt.date(2012, 1, 1), transferred_on=dt.date(2019, 12, 1))
    for patient in (turning, not_yet):
        generate_checklist(session, patient, rules, today=patient.registered_on)
    assert caseload(session, TODAY).total == 0 or all(row.patient.id == not_yet.id for row in caseload(session).rows)
    generate_checklist(session, turning, rules)
    generate_checklist(session, not_yet, rules)
    turning, not_yet = refreshed(session, turning), refreshed(session, not_yet)
    assert turning.checklist_closed_on == TODAY
    assert turning.checklist_closed_reason == "Reached 25 years of age (end of transition support)"
    assert not_yet.checklist_closed_on is None
    assert not open_items(session, turning)
    missed = [item for item in items_of(session, turning).values() if item.status == TransitionStatus.MISSED]
    assert missed and all(item.status_reason.startswith("Checklist closed 25/11/2026: Reached 25") for item in missed)


def test_the_caseload_drops_someone_who_turned_25_before_any_regeneration(
    session: Session, rules: MilestoneRules
) -> None:
    patient = make_patient(
        session, dt.date(2001, 11, 25), dt.date(2012, 1, 1), planned_transfer_date=dt.date(2027, 1, 1)
    )
    generate_checklist(session, patient, rules, today=dt.date(2026, 11, 1))  # a month ago: open, items due soon
    yesterday = caseload(session, TODAY - dt.timedelta(days=1))
    assert any(row.patient.id == patient.id for row in yesterday.rows)
    assert not any(row.patient.id == patient.id for row in caseload(session, TODAY).rows)


def test_a_26_year_old_registered_as_a_child_gets_one_item(session: Session, rules: MilestoneRules) -> None:
    imported = make_patient(session, dt.date(2000, 6, 1), dt.date(2010, 1, 1))  # no transfer recorded
    generate_checklist(session, imported, rules)
    items = items_of(session, imported)
    assert list(items) == [(lifecycle.TRANSFER_CHECK_ID, 0)]
    check = items[(lifecycle.TRANSFER_CHECK_ID, 0)]
    assert check.title == lifecycle.TRANSFER_CHECK_TITLE and check.status == TransitionStatus.TODO
    assert check.due_date == dt.date(2018, 6, 1)
    patient = refreshed(session, imported)
    assert patient.checklist_closed_on == dt.date(2025, 6, 1)
    assert [row.item.rule_id for row in caseload(session).rows] == [lifecycle.TRANSFER_CHECK_ID]  # it stays seen

    followed = make_patient(session, dt.date(2000, 7, 1), dt.date(2010, 1, 1))
    tracked(session, followed, rules)  # a list kept for years: everything open is missed, one check stays
    assert list(open_items(session, followed)) == [(lifecycle.TRANSFER_CHECK_ID, 0)]
    assert caseload(session).overdue == 2


# ------------------------------------------------------------------------------------------------------------
# Closing and reopening
# ------------------------------------------------------------------------------------------------------------


def test_closing_by_the_follow_up_done_and_reopening(session: Session, rules: MilestoneRules) -> None:
    assert rules["follow_up_after_transfer"].closes_checklist
    patient = make_patient(session, dt.date(2008, 1, 10), dt.date(2015, 1, 1))
    generate_checklist(session, patient, rules, today=patient.registered_on)
    update_patient(session, patient.id, {"transferred_on": dt.date(2026, 3, 1)})  # type: ignore[arg-type]
    generate_checklist(session, patient, rules)
    follow_up = items_of(session, patient)[("follow_up_after_transfer", 0)]
    assert open_items(session, patient) and caseload(session).total > 0
    done = set_status(
        session,
        follow_up.id,  # type: ignore[arg-type]
        "done",
        expected_version=follow_up.version,
        completed_on=dt.date(2026, 9, 10),
        rules=rules,
    )
    closed = refreshed(session, patient)
    assert closed.checklist_closed_on == dt.date(2026, 9, 10)
    assert closed.checklist_closed_reason == f"Done: {rules['follow_up_after_transfer'].title}"[:200]
    assert not open_items(session, patient)  # every open item is now missed, none deleted
    missed = {key for key, item in items_of(session, patient).items() if item.status == TransitionStatus.MISSED}
    assert missed and caseload(session).total == 0
    event = audit.last_change(session, "patient", patient.id)
    assert event is not None and json.loads(event.after)["checklist_closed_on"] == "2026-09-10"

    set_status(session, done.id, "todo", expected_version=done.version, rules=rules)  # type: ignore[arg-type]
    reopened = refreshed(session, patient)
    assert reopened.checklist_closed_on is None and reopened.checklist_closed_reason == ""
    items = items_of(session, patient)
    back = {key for key in missed if items[key].status == TransitionStatus.TODO}
    assert back and all(items[key].status_reason == "" for key in back)
    still = {key for key in missed if items[key].status == TransitionStatus.MISSED}
    assert all(not items[key].status_reason.startswith(lifecycle.MISSED_AT_CLOSING) for key in still)


def test_the_follow_up_done_leaves_an_ehcp_open_until_its_reviews_end(session: Session, rules: MilestoneRules) -> None:
    """EHCP reviews go on to 25, after the health transfer: the follow-up done does not close a checklist that still
    has them, and does not turn the next review into "missed"; the checklist closes when the reviews end."""
    patient = make_patient(session, dt.date(2008, 1, 10), dt.date(2015, 1, 1), has_ehcp=True)
    generate_checklist(session, patient, rules, today=patient.registered_on)
    update_patient(session, patient.id, {"transferred_on": dt.date(2026, 3, 1)})  # type: ignore[arg-type]
    generate_checklist(session, patient, rules)
    follow_up = items_of(session, patient)[("follow_up_after_transfer", 0)]
    set_status(
        session,
        follow_up.id,  # type: ignore[arg-type]
        "done",
        expected_version=follow_up.version,
        completed_on=dt.date(2026, 9, 10),
        rules=rules,
    )
    still_open = refreshed(session, patient)
    assert still_open.checklist_closed_on is None
    reviews = [item for (rule_id, _), item in open_items(session, patient).items() if rule_id == "ehcp_annual_review"]
    assert reviews and all(item.status == TransitionStatus.TODO for item in reviews)
    assert set(lifecycle.ongoing_until(still_open, rules)) == {dt.date(2033, 1, 10)}  # the 25th birthday
    done_on = {"follow_up_after_transfer": dt.date(2026, 9, 10)}
    assert lifecycle.closing(still_open, rules, done_on, TODAY) is None
    later = lifecycle.closing(still_open, rules, done_on, dt.date(2033, 2, 1))
    assert later is not None and later.on == dt.date(2033, 1, 10)


def test_closing_by_archive_and_reopening_by_unarchive(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2012, 3, 4), dt.date(2015, 1, 1), has_ehcp=True)
    tracked(session, patient, rules)
    before = open_items(session, patient)
    noted = next(iter(before.values()))
    set_status(session, noted.id, "in_progress", expected_version=noted.version, note="Family call booked")  # type: ignore[arg-type]
    archive_patient(session, patient.id)  # type: ignore[arg-type]
    generate_checklist(session, refreshed(session, patient), rules)
    archived = refreshed(session, patient)
    assert (archived.checklist_closed_on, archived.checklist_closed_reason) == (TODAY, "Patient archived")
    items = items_of(session, patient)
    assert set(before) <= set(items)  # never deleted
    assert all(items[key].status == TransitionStatus.MISSED for key in before)
    assert items[(noted.rule_id, noted.occurrence)].note == "Family call booked"

    update_patient(session, patient.id, {"archived": False})  # type: ignore[arg-type]
    generate_checklist(session, refreshed(session, patient), rules)
    assert refreshed(session, patient).checklist_closed_on is None
    after = open_items(session, patient)
    assert set(after) == set(before)  # back to do (their rules still want them), dates as before
    assert all(after[key].due_date == before[key].due_date for key in before)
    assert after[(noted.rule_id, noted.occurrence)].status == TransitionStatus.TODO


def test_idempotent_after_closing(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2012, 3, 4), dt.date(2015, 1, 1))
    tracked(session, patient, rules)
    archive_patient(session, patient.id)  # type: ignore[arg-type]
    generate_checklist(session, refreshed(session, patient), rules)
    events = len(session.exec(select(AuditEvent)).all())
    items = {key: (item.status, item.status_reason, item.version) for key, item in items_of(session, patient).items()}
    again = generate_checklist(session, refreshed(session, patient), rules, today=TODAY + dt.timedelta(days=3))
    assert not again.changed
    assert len(session.exec(select(AuditEvent)).all()) == events
    after = {key: (item.status, item.status_reason, item.version) for key, item in items_of(session, patient).items()}
    assert after == items
    assert refreshed(session, patient).checklist_closed_on == TODAY  # the first closing date is kept


# ------------------------------------------------------------------------------------------------------------
# done_when = "transfer_planned"
# ------------------------------------------------------------------------------------------------------------


def test_transfer_date_agreed_follows_the_planned_date(session: Session, rules: MilestoneRules) -> None:
    assert rules["transfer_date_set"].done_when == "transfer_planned"
    patient = make_patient(session, dt.date(2010, 5, 5), dt.date(2015, 1, 1))
    generate_checklist(session, patient, rules, today=patient.registered_on)
    assert items_of(session, patient)[("transfer_date_set", 0)].status == TransitionStatus.TODO

    audit.set_current_user("nurse-entering-the-date")
    update_patient(session, patient.id, {"planned_transfer_date": dt.date(2028, 9, 1)})  # type: ignore[arg-type]
    generate_checklist(session, patient, rules)
    item = items_of(session, patient)[("transfer_date_set", 0)]
    assert (item.status, item.completed_on) == (TransitionStatus.DONE, TODAY)
    assert item.due_date == dt.date(2027, 9, 1)
    event = audit.last_change(session, "transitionitem", item.id)
    assert event is not None and event.user == "nurse-entering-the-date"
    assert not generate_checklist(session, patient, rules, today=TODAY + dt.timedelta(days=5)).changed

    update_patient(session, patient.id, {"planned_transfer_date": None})  # type: ignore[arg-type]
    generate_checklist(session, patient, rules)
    item = items_of(session, patient)[("transfer_date_set", 0)]
    assert (item.status, item.completed_on, item.status_reason) == (TransitionStatus.TODO, None, "")


def test_transfer_date_agreed_ticked_by_hand_stays_done(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2010, 5, 5), dt.date(2015, 1, 1))
    generate_checklist(session, patient, rules, today=patient.registered_on)
    item = items_of(session, patient)[("transfer_date_set", 0)]
    set_status(session, item.id, "done", expected_version=item.version, note="Agreed at clinic")  # type: ignore[arg-type]
    generate_checklist(session, patient, rules)
    assert items_of(session, patient)[("transfer_date_set", 0)].status == TransitionStatus.DONE


def test_a_new_patient_with_a_planned_date_gets_the_item_done(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2011, 5, 5), TODAY, planned_transfer_date=dt.date(2029, 1, 1))
    generate_checklist(session, patient, rules)
    item = items_of(session, patient)[("transfer_date_set", 0)]
    assert (item.status, item.completed_on, item.status_reason) == (
        TransitionStatus.DONE,
        TODAY,
        lifecycle.DONE_BY_PLANNED_DATE,
    )


def test_missed_needs_a_reason(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2011, 5, 5), TODAY)
    generate_checklist(session, patient, rules)
    item = next(iter(items_of(session, patient).values()))
    with pytest.raises(ValidationError):
        set_status(session, item.id, "missed", expected_version=item.version)  # type: ignore[arg-type]
    saved = set_status(session, item.id, "missed", expected_version=item.version, reason="Family moved abroad")  # type: ignore[arg-type]
    assert saved.status_reason == "Family moved abroad"


# ------------------------------------------------------------------------------------------------------------
# The caseload: no item older than the young person's current stage shown as overdue, unless still needed
# ------------------------------------------------------------------------------------------------------------


def stale_overdue(session: Session, rules: MilestoneRules, rows: tuple[CaseloadRow, ...]) -> list[str]:
    """The overdue caseload rows that should not be there, each with why. An overdue row is "older than the young
    person's current stage" (and so wrong) when any of these holds:

    1. the patient's checklist is closed, or they are 25 or more today, and it is not the transfer check;
    2. the patient has a transfer recorded, and the item is a step to take before transfer, or was due before it;
    3. no transfer is recorded, the planned (else assumed) transfer date has passed, and the item is dated from
       the transfer (only the one transfer check stands for those);
    4. it is an occurrence of a repeating rule and a later occurrence of it is already due;
    5. its rule has a late-entry window W and it is more than W overdue; or the rule is skipped for late joiners
       (tied to its time) or is a step after transfer, and it is more than a year overdue;
    6. it is a second transfer check for the same patient, or a step dated after the transfer is overdue while a
       step before transfer is still open for the same patient (a contradictory list).
    """
    today = TODAY
    problems: list[str] = []
    pre, post = pre_and_post_transfer(rules)
    by_patient: dict[int, list[TransitionItem]] = {}
    for item in session.exec(select(TransitionItem).where(TransitionItem.status.in_(OPEN_STATUSES))).all():  # type: ignore[attr-defined]
        by_patient.setdefault(item.patient_id, []).append(item)
    for row in rows:
        item, patient = row.item, row.patient
        if item.due_date >= today:
            continue
        name = f"{item.rule_id}#{item.occurrence} of patient {patient.id}"
        rule = rules.get(item.rule_id)
        if item.rule_id == lifecycle.TRANSFER_CHECK_ID:
            checks = [i for i in by_patient[patient.id] if i.rule_id == lifecycle.TRANSFER_CHECK_ID]
            if len(checks) != 1:
                problems.append(f"{name}: {len(checks)} transfer checks")
            continue
        aged_25 = patient.date_of_birth + lifecycle.DEFAULT_CLOSES_AT_AGE.delta <= today
        if patient.checklist_closed_on is not None or aged_25:
            problems.append(f"{name}: closed checklist")
        assert rule is not None, name
        transferred = patient.transferred_on
        if transferred is not None and (rule.id in pre or item.due_date < transferred):
            problems.append(f"{name}: before the recorded transfer")
        if lifecycle.transfer_unrecorded_since(patient, rules, today) and lifecycle.is_transfer_bound(rule, set()):
            problems.append(f"{name}: dated from a transfer that passed unrecorded")
        later = [i for i in by_patient[patient.id] if i.rule_id == item.rule_id and i.occurrence > item.occurrence]
        if rule.repeat is not None and any(i.due_date <= today for i in later):
            problems.append(f"{name}: superseded by a later occurrence")
        window = rule.late_entry_within
        if rule.repeat is None and window is not None and item.due_date + window.delta < today:
            problems.append(f"{name}: past its window")
        tied = rule.late_entry is LateEntry.SKIP or rule.id in post
        if rule.repeat is None and tied and item.due_date + dt.timedelta(days=366) < today:
            problems.append(f"{name}: tied to its time, a year gone")
        open_pre = [i for i in by_patient[patient.id] if i.rule_id in pre]
        if rule.id in post and open_pre:
            problems.append(f"{name}: after transfer, while {open_pre[0].rule_id} is open")
    return problems


def test_demo_caseload_shows_no_stale_overdue_item(session: Session, rules: MilestoneRules) -> None:
    from coordinator_tui.services.demo_data import load_demo

    load_demo(session, patients=40)
    view = caseload(session)
    assert view.overdue > 0  # the check is not vacuous: the demo leaves some items undone
    assert stale_overdue(session, rules, view.rows) == []
    assert not regenerate_all(session, rules).changed


def test_old_registrations_caseload_shows_no_stale_overdue_item(session: Session, rules: MilestoneRules) -> None:
    """A caseload imported with old registrations: each first generated today."""
    people = [
        (dt.date(2016, 2, 3), dt.date(2017, 1, 1), {}),
        (dt.date(2013, 9, 1), dt.date(2014, 1, 1), {"has_ehcp": True}),
        (dt.date(2011, 4, 4), dt.date(2012, 5, 5), {"has_ehcp": True, "receives_dla": True}),
        (dt.date(2009, 12, 12), dt.date(2011, 1, 1), {}),
        (dt.date(2008, 7, 7), dt.date(2010, 1, 1), {"planned_transfer_date": dt.date(2026, 6, 1)}),
        (dt.date(2007, 3, 3), dt.date(2009, 1, 1), {"transferred_on": dt.date(2025, 4, 1)}),
        (dt.date(2006, 1, 1), dt.date(2008, 1, 1), {}),
        (dt.date(2003, 5, 5), dt.date(2006, 1, 1), {"transferred_on": dt.date(2021, 9, 1)}),
        (dt.date(1999, 1, 1), dt.date(2005, 1, 1), {}),
    ]
    for dob, registered, values in people:
        make_patient(session, dob, registered, **values)
    regenerate_all(session, rules)
    view = caseload(session)
    assert view.overdue > 0
    assert stale_overdue(session, rules, view.rows) == []
    # Years of backdated items would repeat the yearly steps: each step is overdue at most once per person.
    overdue = [(row.patient.id, row.item.rule_id) for row in view.rows if row.item.due_date < TODAY]
    assert len(overdue) == len(set(overdue))


def test_the_stale_check_can_fail(session: Session, rules: MilestoneRules) -> None:
    """Without the lifecycle (an old registration generated as if tracked all along and never tidied), the check
    above finds stale rows: it is not vacuous."""
    patient = make_patient(session, dt.date(2009, 12, 12), dt.date(2011, 1, 1))
    generate_checklist(session, patient, rules, today=patient.registered_on)
    assert stale_overdue(session, rules, caseload(session).rows) != []
    generate_checklist(session, patient, rules)
    assert stale_overdue(session, rules, caseload(session).rows) == []


def test_rules_without_a_closing_age_never_close_by_age(session: Session, rules: MilestoneRules) -> None:
    no_limit = dataclasses.replace(rules, checklist_closes_at_age=None)
    patient = make_patient(session, dt.date(2000, 6, 1), dt.date(2010, 1, 1), transferred_on=dt.date(2018, 9, 1))
    generate_checklist(session, patient, no_limit)
    assert refreshed(session, patient).checklist_closed_on is None


@pytest.mark.parametrize(
    ("today", "latest_dob"),
    [
        (dt.date(2026, 11, 25), dt.date(2001, 11, 25)),
        (dt.date(2025, 2, 28), dt.date(2000, 2, 29)),  # born 29 February: 25 on 28 February in a common year
        (dt.date(2028, 2, 29), dt.date(2003, 2, 28)),
    ],
)
def test_the_caseload_age_cut_off_agrees_with_the_engine(today: dt.date, latest_dob: dt.date) -> None:
    age = lifecycle.DEFAULT_CLOSES_AT_AGE
    assert lifecycle.latest_birth_date_aged(age, today) == latest_dob
    assert latest_dob + age.delta <= today < latest_dob + dt.timedelta(days=1) + age.delta


def test_a_corrected_date_of_birth_reopens_a_checklist_closed_by_age(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2000, 6, 1), dt.date(2010, 1, 1), transferred_on=dt.date(2026, 6, 1))
    tracked(session, patient, rules)
    assert refreshed(session, patient).checklist_closed_on == dt.date(2025, 6, 1)
    missed = {key for key, item in items_of(session, patient).items() if item.status == TransitionStatus.MISSED}
    assert missed

    update_patient(session, patient.id, {"date_of_birth": dt.date(2008, 6, 1)})  # type: ignore[arg-type]
    generate_checklist(session, refreshed(session, patient), rules)
    assert refreshed(session, patient).checklist_closed_on is None
    items = items_of(session, patient)
    assert not any(item.status_reason.startswith(lifecycle.MISSED_AT_CLOSING) for item in items.values())
    assert any(items[key].status == TransitionStatus.TODO for key in missed)  # still wanted: to do again
