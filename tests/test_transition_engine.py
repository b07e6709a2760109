"""The transition checklist engine: due dates at the edges, idempotent regeneration, item operations, queries.

Every person here is fictional; NHS numbers are in the 999 range with valid check digits. The clock is fixed at
25 November 2026 (conftest).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from coordinator_tui.models import AuditEvent, Patient, TransitionItem, TransitionStatus
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.people.patients import archive_patient, create_patient, update_patient
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.records import create_record
from coordinator_tui.services.transition.checklists import CaseloadBucket, DueFlag, caseload, checklist_for_patient
from coordinator_tui.services.transition.engine import (
    generate_checklist,
    regenerate_all,
    set_status,
    update_note,
)
from coordinator_tui.services.transition.milestone_rules import MilestoneRules, load_rules
from coordinator_tui.validation import ValidationError, nhs_check_digit
from tests.postgres_server import both_databases

pytestmark = both_databases

TODAY = dt.date(2026, 11, 25)
_serial = itertools.count(1)


def fictional_nhs_number() -> str:
    while True:
        first_nine = f"999{next(_serial):06d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)


@pytest.fixture
def rules() -> MilestoneRules:
    return load_rules()


def make_patient(session: Session, dob: dt.date, *, registered_on: dt.date | None = None, **values: Any) -> Patient:
    number = next(_serial)
    return create_patient(
        session,
        {
            "nhs_number": fictional_nhs_number(),
            "hospital_number": f"TEST{number}",
            "given_name": values.pop("given_name", "Testy"),
            "family_name": values.pop("family_name", f"McTestface{number}"),
            "date_of_birth": dob,
            "registered_on": registered_on or dob + dt.timedelta(days=30),
            **values,
        },
    )


def items_of(session: Session, patient: Patient) -> dict[tuple[str, int], TransitionItem]:
    session.expire_all()
    found = session.exec(select(TransitionItem).where(TransitionItem.patient_id == patient.id)).all()
    return {(item.rule_id, item.occurrence): item for item in found}


def due_dates(session: Session, patient: Patient) -> dict[str, dt.date]:
    """Due date per rule for one-off items (occurrence 0)."""
    return {rule: item.due_date for (rule, occ), item in items_of(session, patient).items() if occ == 0}


def service_rules(tmp_path: Path, text: str) -> MilestoneRules:
    path = tmp_path / "service.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_rules(path.read_text(encoding="utf-8"), path.name)


# ------------------------------------------------------------------------------------------------------------
# Due dates
# ------------------------------------------------------------------------------------------------------------


def test_dates_for_a_young_person_with_an_ehcp(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(
        session, dt.date(2011, 3, 4), registered_on=dt.date(2015, 1, 1), has_ehcp=True, receives_dla=True
    )
    summary = generate_checklist(session, patient, rules, today=patient.registered_on)
    assert summary.added > 0 and summary.patients == 1
    due = due_dates(session, patient)
    assert due["rsg_ready"] == dt.date(2022, 3, 4)
    assert due["rsg_steady"] == dt.date(2024, 3, 4)
    assert due["rsg_go"] == dt.date(2026, 3, 4)
    assert due["transition_planning_started"] == dt.date(2024, 9, 1)  # Year 9 starts
    assert due["named_worker_recorded"] == dt.date(2024, 9, 1)
    assert "senior_school_planning" not in due  # issue 19: with an EHCP the school is named through the plan
    assert due["ehcp_phase_transfer_secondary"] == dt.date(2022, 2, 15)  # 15 February of Year 6
    assert due["ehcp_phase_transfer_post16"] == dt.date(2027, 3, 31)  # 31 March of Year 11
    assert due["school_liaison_secondary"] == dt.date(2022, 4, 15)
    assert due["consent_capacity_16"] == dt.date(2027, 3, 4)
    assert due["pip_invitation"] == dt.date(2027, 3, 4)
    assert due["pip_claim_started"] == dt.date(2027, 4, 1)  # 28 days after
    # No transfer date planned: transfer-relative rules assume the 18th birthday (4 March 2029).
    assert due["adult_services_identified"] == dt.date(2028, 3, 4)
    assert due["meet_adult_practitioners"] == dt.date(2028, 12, 4)
    assert due["follow_up_after_transfer"] == dt.date(2029, 9, 4)
    items = items_of(session, patient)
    reviews = sorted(item.due_date for (rule, _), item in items.items() if rule == "ehcp_annual_review")
    # No EHCP review date recorded: from Year 9, yearly while the plan may last (to 25; issue 19: not to transfer).
    assert reviews == [dt.date(y, 9, 1) for y in range(2024, 2036)]
    transition_reviews = sorted(occ for (rule, occ) in items if rule == "transition_review")
    assert transition_reviews == [1, 2, 3, 4]
    ready = items[("rsg_ready", 0)]
    assert ready.appears_on == dt.date(2022, 1, 4)  # two months' lead time
    assert (ready.category, ready.owner_role, ready.stage) == ("health", "specialist nurse", "Ready")
    assert ready.status == TransitionStatus.TODO


def test_planned_transfer_date_moves_transfer_items(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(
        session, dt.date(2011, 3, 4), registered_on=dt.date(2015, 1, 1), planned_transfer_date=dt.date(2027, 10, 1)
    )
    generate_checklist(session, patient, rules, today=patient.registered_on)
    due = due_dates(session, patient)
    assert due["meet_adult_practitioners"] == dt.date(2027, 7, 1)
    assert due["support_before_transfer"] == dt.date(2027, 4, 1)
    assert due["follow_up_after_transfer"] == dt.date(2028, 4, 1)
    reviews = [occ for (rule, occ) in items_of(session, patient) if rule == "transition_review"]
    assert sorted(reviews) == [1, 2, 3]  # September 2025, 2026 and 2027; none after the October 2027 transfer


def test_birthday_on_29_february(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2012, 2, 29), registered_on=dt.date(2013, 1, 1), receives_dla=True)
    generate_checklist(session, patient, rules, today=patient.registered_on)
    due = due_dates(session, patient)
    assert due["rsg_ready"] == dt.date(2023, 2, 28)  # 2023 is a common year: 28 February
    assert due["rsg_steady"] == dt.date(2025, 2, 28)
    assert due["consent_capacity_16"] == dt.date(2028, 2, 29)  # 2028 is a leap year
    assert due["transfer_date_set"] == dt.date(2029, 2, 28)  # 12 months before the assumed transfer at 18
    assert due["transition_planning_started"] == dt.date(2025, 9, 1)  # Reception 2016/17, Year 9 2025/26
    assert due["pip_claim_started"] == dt.date(2028, 3, 28)


def test_31_august_and_1_september_birthdays_are_a_school_year_apart(session: Session, rules: MilestoneRules) -> None:
    august = make_patient(session, dt.date(2012, 8, 31), registered_on=dt.date(2013, 1, 1), has_ehcp=True)
    september = make_patient(session, dt.date(2012, 9, 1), registered_on=dt.date(2013, 1, 1), has_ehcp=True)
    generate_checklist(session, august, rules, today=august.registered_on)
    generate_checklist(session, september, rules, today=september.registered_on)
    aug, sep = due_dates(session, august), due_dates(session, september)
    assert aug["transition_planning_started"] == dt.date(2025, 9, 1)
    assert sep["transition_planning_started"] == dt.date(2026, 9, 1)
    assert aug["ehcp_phase_transfer_secondary"] == dt.date(2023, 2, 15)  # Year 6 is 2022/23
    assert sep["ehcp_phase_transfer_secondary"] == dt.date(2024, 2, 15)  # Year 6 is 2023/24
    assert aug["ehcp_phase_transfer_post16"] == dt.date(2028, 3, 31)
    assert sep["ehcp_phase_transfer_post16"] == dt.date(2029, 3, 31)
    # Ages are a day apart, so age-based dates are too.
    assert (sep["rsg_ready"] - aug["rsg_ready"]).days == 1


def test_young_person_17_at_registration_gets_planning_at_once(session: Session, rules: MilestoneRules) -> None:
    registered = dt.date(2026, 7, 1)
    patient = make_patient(session, dt.date(2009, 6, 1), registered_on=registered, has_ehcp=True, receives_dla=True)
    generate_checklist(session, patient, rules)
    items = items_of(session, patient)
    due = due_dates(session, patient)
    assert due["transition_planning_started"] == registered
    assert due["named_worker_recorded"] == registered
    assert due["consent_capacity_16"] == registered
    assert due["pip_invitation"] == registered
    assert due["pip_claim_started"] == registered + dt.timedelta(days=28)
    assert due["transfer_date_set"] == registered
    # Ready/Steady/Go are for younger ages; school phase moves are past: none of these are added.
    for rule_id in ("rsg_ready", "rsg_steady", "rsg_go", "ehcp_phase_transfer_secondary", "school_liaison_post16"):
        assert rule_id not in due
    # Yearly reviews restart from the registration date; the EHCP review missed before registration is due now.
    # Planning starts at registration; transfer is assumed at 18 (1 June 2027), before a yearly review is due.
    assert not any(rule == "transition_review" for rule, _ in items)
    ehcp = sorted(item.due_date for (rule, _), item in items.items() if rule == "ehcp_annual_review")
    # EHCP reviews then go on yearly while the plan may last (to 25; issue 19: not only to the transfer).
    assert ehcp == [dt.date(year, 7, 1) for year in range(2026, 2034)]
    assert due["rsg_hello"] == dt.date(2027, 8, 1)


def test_adult_at_registration_gets_no_checklist(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2000, 1, 1), registered_on=dt.date(2019, 6, 1))
    summary = generate_checklist(session, patient, rules)
    assert summary.added == 0 and items_of(session, patient) == {}


def test_patient_past_transfer(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(
        session, dt.date(2007, 1, 10), registered_on=dt.date(2015, 1, 1), transferred_on=dt.date(2026, 6, 1)
    )
    generate_checklist(session, patient, rules)
    due = due_dates(session, patient)
    assert due == {
        "first_adult_appointment": dt.date(2026, 9, 1),
        "rsg_hello": dt.date(2026, 8, 1),
        "follow_up_after_transfer": dt.date(2026, 12, 1),
    }
    assert all(d >= patient.transferred_on for d in due.values())  # type: ignore[operator]
    assert not any(rule == "transition_review" for rule, _ in items_of(session, patient))


def test_recording_a_transfer_keeps_existing_items(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2008, 5, 5), registered_on=dt.date(2015, 1, 1))
    generate_checklist(session, patient, rules, today=patient.registered_on)
    before = items_of(session, patient)
    meet = before[("meet_adult_practitioners", 0)]
    set_status(session, meet.id, "done", expected_version=meet.version)  # type: ignore[arg-type]
    update_patient(session, patient.id, {"transferred_on": dt.date(2026, 9, 1)})  # type: ignore[arg-type]
    summary = generate_checklist(session, patient, rules)
    after = items_of(session, patient)
    assert summary.removed == 0
    assert set(before) <= set(after)  # nothing on the list disappears because the transfer happened
    assert after[("meet_adult_practitioners", 0)].status == TransitionStatus.DONE
    assert after[("follow_up_after_transfer", 0)].due_date == dt.date(2027, 3, 1)


def test_no_transfer_date_at_all_waits_for_one(session: Session, rules: MilestoneRules) -> None:
    no_assumption = dataclasses.replace(rules, assumed_transfer_age=None)
    patient = make_patient(session, dt.date(2011, 3, 4), registered_on=dt.date(2015, 1, 1))
    generate_checklist(session, patient, no_assumption)
    items = items_of(session, patient)
    assert ("meet_adult_practitioners", 0) not in items and ("follow_up_after_transfer", 0) not in items
    reviews = sorted(item.due_date for (rule, _), item in items.items() if rule == "transition_review")
    assert reviews[-1] <= TODAY.replace(year=TODAY.year + 1)  # planned only up to the next one


def test_ehcp_rules_only_with_an_ehcp(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2011, 3, 4), registered_on=dt.date(2015, 1, 1))
    generate_checklist(session, patient, rules, today=patient.registered_on)
    assert not any(rule.startswith("ehcp_") for rule, _ in items_of(session, patient))

    update_patient(session, patient.id, {"has_ehcp": True})  # type: ignore[arg-type]
    summary = generate_checklist(session, patient, rules)
    items = items_of(session, patient)
    ehcp = [key for key in items if key[0].startswith("ehcp_")]
    assert ("ehcp_phase_transfer_post16", 0) in items
    # Yearly reviews from Year 9 (no review date recorded) while the plan may last, to 25 (issue 19).
    review_dates = {item.due_date for (rule, _), item in items.items() if rule == "ehcp_annual_review"}
    assert review_dates >= {dt.date(year, 9, 1) for year in range(2027, 2036)}
    assert summary.added == len(ehcp)

    first_key = min(key for key in ehcp if key[0] == "ehcp_annual_review")
    first_review = items[first_key]
    set_status(session, first_review.id, "done", expected_version=first_review.version, note="Review attended")  # type: ignore[arg-type]
    update_patient(session, patient.id, {"has_ehcp": False})  # type: ignore[arg-type]
    summary = generate_checklist(session, patient, rules)
    items = items_of(session, patient)
    assert [key for key in items if key[0].startswith("ehcp_")] == [first_key]
    assert summary.removed == len(ehcp) - 1 and summary.kept == 1
    assert items[first_key].note == "Review attended"


# ------------------------------------------------------------------------------------------------------------
# Idempotent regeneration
# ------------------------------------------------------------------------------------------------------------


def test_generating_twice_changes_nothing(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2011, 3, 4), registered_on=dt.date(2015, 1, 1), has_ehcp=True)
    first = generate_checklist(session, patient, rules)
    count = len(items_of(session, patient))
    audit_count = len(audit.history(session, entity="transitionitem", limit=10_000))
    assert audit_count == first.added == count
    second = generate_checklist(session, patient, rules)
    assert (second.added, second.moved, second.updated, second.removed) == (0, 0, 0, 0)
    assert second.unchanged == count
    assert len(items_of(session, patient)) == count
    assert len(audit.history(session, entity="transitionitem", limit=10_000)) == audit_count


def test_generation_is_audited_per_item(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2011, 3, 4), registered_on=dt.date(2015, 1, 1))
    generate_checklist(session, patient, rules, today=patient.registered_on)
    item = items_of(session, patient)[("rsg_ready", 0)]
    event = audit.last_change(session, "transitionitem", item.id)
    assert event is not None and event.action == "create" and event.patient_id == patient.id
    assert event.user == "test-coordinator"
    assert json.loads(event.after) == audit.snapshot(item)


def test_regeneration_after_rule_change_keeps_finished_work(
    session: Session, rules: MilestoneRules, tmp_path: Path
) -> None:
    patient = make_patient(session, dt.date(2011, 3, 4), registered_on=dt.date(2015, 1, 1))
    generate_checklist(session, patient, rules, today=patient.registered_on)
    items = items_of(session, patient)
    ready, steady = items[("rsg_ready", 0)], items[("rsg_steady", 0)]
    set_status(
        session,
        ready.id,  # type: ignore[arg-type]
        "done",
        expected_version=ready.version,
        completed_on=dt.date(2022, 3, 10),
        note="Completed at clinic",
    )
    update_note(session, steady.id, "Family asked to wait", expected_version=steady.version)  # type: ignore[arg-type]
    assert ("rsg_hello", 0) in items

    changed = service_rules(
        tmp_path,
        """
        [[milestone]]
        id = "rsg_ready"
        enabled = false

        [[milestone]]
        id = "rsg_steady"
        enabled = false

        [[milestone]]
        id = "rsg_go"
        enabled = false

        [[milestone]]
        id = "rsg_hello"
        enabled = false

        [[milestone]]
        id = "consent_capacity_16"
        due = { kind = "age", years = 16, months = 3 }
        lead_time = { months = 1 }
        title = "Consent conversation (changed)"

        [[milestone]]
        id = "local_extra"
        title = "Local step added by the service"
        category = "social care"
        owner_role = "family support worker"
        stage = "Go"
        due = { kind = "age", years = 15, months = 6 }
        late_entry = "at_registration"  # a step whose date passed is added only if due at once when late
        source = "Local pathway (fictional)"
        """,
    )
    summary = generate_checklist(session, patient, changed)
    items = items_of(session, patient)
    # Switched off: the done one and the one with a note stay; untouched ones go.
    assert items[("rsg_ready", 0)].status == TransitionStatus.DONE
    assert items[("rsg_ready", 0)].completed_on == dt.date(2022, 3, 10)
    assert items[("rsg_ready", 0)].note == "Completed at clinic"
    assert items[("rsg_ready", 0)].due_date == ready.due_date
    assert items[("rsg_steady", 0)].note == "Family asked to wait"
    assert ("rsg_go", 0) not in items and ("rsg_hello", 0) not in items
    consent = items[("consent_capacity_16", 0)]
    assert consent.due_date == dt.date(2027, 6, 4)
    assert consent.appears_on == dt.date(2027, 5, 4)
    assert consent.title == "Consent conversation (changed)"
    assert items[("local_extra", 0)].due_date == dt.date(2026, 9, 4)
    assert (summary.added, summary.moved, summary.removed, summary.kept) == (1, 1, 2, 2)

    again = generate_checklist(session, patient, changed)
    assert not again.changed
    # Switching the rules back on restores the removed items without touching the kept ones.
    restored = generate_checklist(session, patient, rules)
    items = items_of(session, patient)
    assert restored.added == 2 and ("rsg_go", 0) in items
    assert items[("rsg_ready", 0)].completed_on == dt.date(2022, 3, 10)


def test_regeneration_after_corrected_date_of_birth(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2011, 3, 4), registered_on=dt.date(2015, 1, 1), has_ehcp=True)
    generate_checklist(session, patient, rules, today=patient.registered_on)
    items = items_of(session, patient)
    ready = items[("rsg_ready", 0)]
    set_status(
        session,
        ready.id,  # type: ignore[arg-type]
        "done",
        expected_version=ready.version,
        completed_on=dt.date(2022, 2, 1),
        note="Done early at clinic",
    )
    phase = items[("ehcp_phase_transfer_secondary", 0)]
    set_status(
        session, phase.id, "not_applicable", expected_version=phase.version, reason="Stayed in all-through school"
    )  # type: ignore[arg-type]
    review = items[("ehcp_annual_review", 1)]
    set_status(session, review.id, "in_progress", expected_version=review.version)  # type: ignore[arg-type]
    count = len(items)

    # The date of birth was mistyped: 4 March 2011 is really 4 October 2011 (a school year later).
    update_patient(session, patient.id, {"date_of_birth": dt.date(2011, 10, 4)})  # type: ignore[arg-type]
    summary = generate_checklist(session, patient, rules)
    items = items_of(session, patient)
    assert items[("rsg_ready", 0)].status == TransitionStatus.DONE
    assert items[("rsg_ready", 0)].due_date == dt.date(2022, 3, 4)  # done: kept as it was
    assert items[("rsg_ready", 0)].completed_on == dt.date(2022, 2, 1)
    assert items[("rsg_ready", 0)].note == "Done early at clinic"
    assert items[("ehcp_phase_transfer_secondary", 0)].due_date == dt.date(2022, 2, 15)  # not applicable: kept
    assert items[("rsg_steady", 0)].due_date == dt.date(2024, 10, 4)  # to do: moved
    assert items[("transition_planning_started", 0)].due_date == dt.date(2025, 9, 1)
    assert items[("ehcp_annual_review", 1)].due_date == dt.date(2025, 9, 1)  # in progress: moved
    assert items[("ehcp_annual_review", 1)].status == TransitionStatus.IN_PROGRESS
    assert summary.added == 0 and summary.removed == 0 and summary.moved > 10
    assert len(items) == count
    assert not generate_checklist(session, patient, rules).changed


def test_rolling_reviews_follow_the_last_one_done(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2011, 3, 4), registered_on=dt.date(2015, 1, 1))
    generate_checklist(session, patient, rules, today=patient.registered_on)
    first = items_of(session, patient)[("transition_review", 1)]
    assert first.due_date == dt.date(2025, 9, 1)
    set_status(
        session,
        first.id,  # type: ignore[arg-type]
        "done",
        expected_version=first.version,
        completed_on=dt.date(2026, 1, 20),
        rules=rules,
    )
    items = items_of(session, patient)
    assert items[("transition_review", 2)].due_date == dt.date(2027, 1, 20)
    assert items[("transition_review", 3)].due_date == dt.date(2028, 1, 20)


def test_pip_claim_is_due_28_days_after_the_invitation_arrived(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(
        session, dt.date(2010, 10, 1), registered_on=dt.date(2015, 1, 1), receives_dla=True, dla_appointee_parent=True
    )
    generate_checklist(session, patient, rules)
    invitation = items_of(session, patient)[("pip_invitation", 0)]
    assert invitation.due_date == dt.date(2026, 10, 1)
    set_status(
        session,
        invitation.id,  # type: ignore[arg-type]
        "done",
        expected_version=invitation.version,
        completed_on=dt.date(2026, 11, 2),
        note="Letter dated 30 October",
        rules=rules,
    )
    items = items_of(session, patient)
    assert items[("pip_claim_started", 0)].due_date == dt.date(2026, 11, 30)
    assert items[("pip_appointee", 0)].due_date == dt.date(2026, 11, 2)


def test_regenerate_all(session: Session, rules: MilestoneRules) -> None:
    patients = [
        make_patient(session, dt.date(2010 + i, 1 + i, 10), registered_on=dt.date(2016, 1, 1)) for i in range(4)
    ]
    archived = make_patient(session, dt.date(2011, 5, 5), registered_on=dt.date(2016, 1, 1))
    archive_patient(session, archived.id)  # type: ignore[arg-type]
    generate_checklist(session, patients[0], rules)
    summary = regenerate_all(session, rules, chunk_size=2)
    assert summary.patients == 4
    assert summary.unchanged == len(items_of(session, patients[0]))
    assert summary.added == sum(len(items_of(session, p)) for p in patients[1:])
    assert items_of(session, archived) == {}
    again = regenerate_all(session, rules)
    assert not again.changed and again.unchanged == summary.added + summary.unchanged


# ------------------------------------------------------------------------------------------------------------
# Item operations
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def item(session: Session, rules: MilestoneRules) -> TransitionItem:
    patient = make_patient(session, dt.date(2011, 3, 4), registered_on=dt.date(2015, 1, 1))
    generate_checklist(session, patient, rules)
    return items_of(session, patient)[("rsg_go", 0)]


def test_done_sets_completed_on_today_and_is_audited(session: Session, item: TransitionItem) -> None:
    saved = set_status(session, item.id, TransitionStatus.DONE, expected_version=item.version, note=" Seen ")  # type: ignore[arg-type]
    assert saved.status == TransitionStatus.DONE
    assert saved.completed_on == TODAY
    assert saved.note == "Seen"
    assert saved.version == 2
    event = audit.last_change(session, "transitionitem", item.id)
    assert event is not None and event.action == "update"
    assert json.loads(event.after)["status"] == "done"
    assert json.loads(event.before)["status"] == "todo"

    reopened = set_status(session, item.id, "todo", expected_version=saved.version)  # type: ignore[arg-type]
    assert reopened.completed_on is None and reopened.status == TransitionStatus.TODO
    assert reopened.note == "Seen"  # note untouched when not given


def test_not_applicable_needs_a_reason(session: Session, item: TransitionItem) -> None:
    with pytest.raises(ValidationError) as info:
        set_status(session, item.id, "not_applicable", expected_version=item.version, reason="  ")  # type: ignore[arg-type]
    assert "reason" in info.value.errors
    saved = set_status(
        session,
        item.id,  # type: ignore[arg-type]
        "not_applicable",
        expected_version=item.version,
        reason="Completed at previous hospital",
    )
    assert saved.status_reason == "Completed at previous hospital"
    back = set_status(session, item.id, "in_progress", expected_version=saved.version)  # type: ignore[arg-type]
    assert back.status_reason == ""


def test_status_input_is_checked(session: Session, item: TransitionItem) -> None:
    with pytest.raises(ValidationError, match="unknown status"):
        set_status(session, item.id, "finished", expected_version=item.version)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="future"):
        set_status(
            session,
            item.id,  # type: ignore[arg-type]
            "done",
            expected_version=item.version,
            completed_on=TODAY + dt.timedelta(days=1),
        )
    with pytest.raises(ValidationError, match=r"contains a null character \(U\+0000\); remove it"):
        update_note(session, item.id, "bad\x00note", expected_version=item.version)  # type: ignore[arg-type]


def test_stale_version_is_refused(session: Session, item: TransitionItem) -> None:
    stale = item.version
    update_note(session, item.id, "First coordinator's note", expected_version=stale)  # type: ignore[arg-type]
    with pytest.raises(ConcurrentEditError):
        set_status(session, item.id, "done", expected_version=stale)  # type: ignore[arg-type]
    session.refresh(item)
    assert item.status == TransitionStatus.TODO and item.note == "First coordinator's note"


def test_update_note_keeps_lines(session: Session, item: TransitionItem) -> None:
    saved = update_note(session, item.id, "Line one\r\nLine two", expected_version=item.version)  # type: ignore[arg-type]
    assert saved.note == "Line one\nLine two"
    history = audit.history(session, patient_id=item.patient_id, entity="transitionitem", limit=1)
    assert json.loads(history[0].after) == {"note": "Line one\nLine two", "version": 2}


# ------------------------------------------------------------------------------------------------------------
# Queries for the screens
# ------------------------------------------------------------------------------------------------------------


def test_checklist_for_patient_groups_by_stage_in_date_order(session: Session, rules: MilestoneRules) -> None:
    patient = make_patient(session, dt.date(2011, 3, 4), registered_on=dt.date(2015, 1, 1))
    generate_checklist(session, patient, rules, today=patient.registered_on)
    items = items_of(session, patient)
    go = items[("rsg_go", 0)]
    set_status(session, go.id, "done", expected_version=go.version)  # type: ignore[arg-type]
    checklist = checklist_for_patient(session, patient.id, today=TODAY)  # type: ignore[arg-type]

    stages = [group.stage for group in checklist.groups]
    assert stages[:3] == ["Early years", "Ready", "Steady"]
    assert len(stages) == len(set(stages))
    firsts = [group.rows[0].item.due_date for group in checklist.groups]
    assert firsts == sorted(firsts)
    for group in checklist.groups:
        dates = [row.item.due_date for row in group.rows]
        assert dates == sorted(dates)
        assert all(row.item.stage == group.stage for row in group.rows)
    assert len(checklist.rows) == len(items)

    by_rule = {(row.item.rule_id, row.item.occurrence): row for row in checklist.rows}
    assert by_rule[("rsg_steady", 0)].flag is DueFlag.OVERDUE
    assert by_rule[("rsg_steady", 0)].label == "⚠ OVERDUE"
    assert by_rule[("rsg_go", 0)].label == "✔ DONE"
    # consent at 16 is due 4 March 2027 and appears 4 January 2027: upcoming today, due from January.
    consent = by_rule[("consent_capacity_16", 0)]
    assert consent.flag is DueFlag.UPCOMING and consent.label == "○ UPCOMING"
    later = checklist_for_patient(session, patient.id, today=dt.date(2027, 1, 10))  # type: ignore[arg-type]
    consent_later = next(row for row in later.rows if row.item.rule_id == "consent_capacity_16")
    assert consent_later.label == "● DUE"
    assert checklist.counts[DueFlag.DONE] == 1
    assert sum(checklist.counts.values()) == len(items)


def test_flags_are_a_word_and_a_symbol() -> None:
    from coordinator_tui.services.transition.checklists import BUCKET_LABELS, FLAG_LABELS

    for label in [*FLAG_LABELS.values(), *BUCKET_LABELS.values()]:
        symbol, word = label.split(" ", 1)
        assert len(symbol) == 1 and not symbol.isalnum()
        assert any(ch.isalpha() for ch in word)


def _item(session: Session, patient: Patient, rule_id: str, due: dt.date, **values: Any) -> TransitionItem:
    return create_record(
        session,
        TransitionItem(
            patient_id=patient.id,  # type: ignore[arg-type]
            rule_id=rule_id,
            title=f"Step {rule_id}",
            category=values.pop("category", "health"),
            owner_role=values.pop("owner_role", "specialist nurse"),
            stage="Go",
            due_date=due,
            appears_on=due - dt.timedelta(days=30),
            **values,
        ),
    )


def test_caseload_buckets_counts_and_filters(session: Session) -> None:
    alice = make_patient(session, dt.date(2010, 1, 1), given_name="Alice", family_name="Testington")
    bob = make_patient(session, dt.date(2010, 2, 2), given_name="Bob", family_name="Exampleson")
    gone = make_patient(session, dt.date(2010, 3, 3), given_name="Carol", family_name="Archivedale")
    day = dt.timedelta(days=1)
    _item(session, alice, "a_overdue", TODAY - day)
    _item(session, alice, "a_today", TODAY, owner_role="family support worker", category="benefits")
    _item(session, alice, "a_30", TODAY + 30 * day, status=TransitionStatus.IN_PROGRESS)
    _item(session, alice, "a_31", TODAY + 31 * day, category="education")
    _item(session, alice, "a_90", TODAY + 90 * day)
    _item(session, alice, "a_91", TODAY + 91 * day)  # beyond 90 days: not shown
    _item(session, alice, "a_done", TODAY - 10 * day, status=TransitionStatus.DONE, completed_on=TODAY)
    _item(session, alice, "a_na", TODAY - 10 * day, status=TransitionStatus.NOT_APPLICABLE, status_reason="x")
    _item(session, bob, "b_overdue", TODAY - 400 * day, owner_role="transition coordinator")
    _item(session, bob, "b_soon", TODAY + 5 * day, owner_role="family support worker", category="benefits")
    _item(session, gone, "c_overdue", TODAY - day)
    archive_patient(session, gone.id)  # type: ignore[arg-type]

    view = caseload(session, TODAY)
    assert view.counts == {CaseloadBucket.OVERDUE: 2, CaseloadBucket.NEXT_30: 3, CaseloadBucket.NEXT_90: 2}
    assert (view.overdue, view.due_within_30, view.due_within_90, view.total) == (2, 3, 5, 7)
    assert [row.item.rule_id for row in view.rows] == [
        "b_overdue",
        "a_overdue",
        "a_today",
        "b_soon",
        "a_30",
        "a_31",
        "a_90",
    ]
    assert view.rows[0].patient.full_name == "Bob Exampleson"
    assert view.rows[0].label == "⚠ OVERDUE"
    buckets = {row.item.rule_id: row.bucket for row in view.rows}
    assert buckets["a_today"] is CaseloadBucket.NEXT_30 and buckets["a_30"] is CaseloadBucket.NEXT_30
    assert buckets["a_31"] is CaseloadBucket.NEXT_90 and buckets["a_90"] is CaseloadBucket.NEXT_90

    family = caseload(session, TODAY, owner_role="family support worker")
    assert [row.item.rule_id for row in family.rows] == ["a_today", "b_soon"]
    assert family.counts[CaseloadBucket.NEXT_30] == 2 and family.overdue == 0
    assert [r.item.rule_id for r in caseload(session, TODAY, category="education").rows] == ["a_31"]
    both = caseload(session, TODAY, owner_role="specialist nurse", category="health")
    assert [row.item.rule_id for row in both.rows] == ["a_overdue", "a_30", "a_90"]

    limited = caseload(session, TODAY, limit=2)
    assert len(limited.rows) == 2 and limited.counts == view.counts


def test_caseload_on_generated_checklists(session: Session, rules: MilestoneRules) -> None:
    for dob in (dt.date(2011, 3, 4), dt.date(2010, 12, 20), dt.date(2012, 8, 31)):
        generate_checklist(session, make_patient(session, dob, registered_on=dt.date(2016, 1, 1), has_ehcp=True), rules)
    view = caseload(session)
    assert view.today == TODAY
    open_items = session.exec(
        select(TransitionItem).where(
            TransitionItem.due_date <= TODAY + dt.timedelta(days=90),
            TransitionItem.status == TransitionStatus.TODO,
        )
    ).all()
    assert view.total == len(open_items) == len(view.rows)
    by_role = sum(caseload(session, owner_role=role).total for role in {i.owner_role for i in open_items})
    assert by_role == view.total
    assert all(isinstance(row.patient, Patient) and row.patient.id == row.item.patient_id for row in view.rows)
    assert {e.entity for e in session.exec(select(AuditEvent)).all()} >= {"transitionitem", "patient"}


def test_caseload_counts_on_demo_data(session: Session) -> None:
    from coordinator_tui.services.demo_data import load_demo
    from coordinator_tui.services.transition.milestone_rules import CATEGORIES, OWNER_ROLES

    load_demo(session, patients=40)
    view = caseload(session)
    assert view.total == len(view.rows) > 0
    expected = {bucket: 0 for bucket in CaseloadBucket}
    for row in view.rows:
        assert row.item.status in (TransitionStatus.TODO, TransitionStatus.IN_PROGRESS)
        assert row.item.due_date <= TODAY + dt.timedelta(days=90)
        assert not row.patient.archived
        expected[row.bucket] += 1
    assert view.counts == expected
    # The filters partition the caseload: by owner role and by category, counts add up to the whole.
    for values, key in ((OWNER_ROLES, "owner_role"), (CATEGORIES, "category")):
        parts = [caseload(session, **{key: value}) for value in values]
        for bucket in CaseloadBucket:
            assert sum(part.counts[bucket] for part in parts) == view.counts[bucket]
    # Demo checklists were generated by the engine: regenerating changes nothing.
    assert not regenerate_all(session, load_rules()).changed
