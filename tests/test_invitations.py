"""Invitations and replies: the proposed list (why each family is due, the clinic's hours, the due families that do
not fit), inviting, and every status change a family can (and cannot) make, with who and when recorded."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlmodel import Session, select

from coordinator_tui import clock
from coordinator_tui.db import Database
from coordinator_tui.models import AttendanceStatus, AuditEvent, ClinicAttendance, ClinicEvent, ClinicStatus
from coordinator_tui.services.clinics import clinics, invitations, invite_proposal
from coordinator_tui.services.clinics.invitations import ALLOWED
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.safety.records import update_record
from coordinator_tui.validation import ValidationError
from tests.invitation_helpers import CLINIC_START, due_world
from tests.postgres_server import both_databases

pytestmark = both_databases

S = AttendanceStatus
FIRST_DAY = dt.datetime(2027, 1, 11, 10, 0, tzinfo=dt.UTC)


def test_the_proposal_says_why_each_family_is_due_and_who_does_not_fit(session: Session) -> None:
    world = due_world(session)
    proposal = invite_proposal.invitation_proposal(session, world.clinic_id)
    proposed = {f.name: f.reason for f in proposal.proposed}
    assert list(proposed) == ["Testpatient Bramble", "Testpatient Damson", "Testpatient Cherry"]  # most overdue first
    assert proposed["Testpatient Bramble"] == "never attended (registered 01/02/2026)"
    assert proposed["Testpatient Cherry"] == "last attended 08/06/2026, review every 6 months: due 08/12/2026"
    # Due, but the endocrinologist's three hours are taken: listed with why, never silently dropped.
    [apple] = proposal.due_not_fitting
    assert apple.name == "Testpatient Apple"
    assert apple.reason == "last attended 15/12/2025, review every 12 months: due 15/12/2026"
    assert apple.not_fitting == "endocrinology has 0 hours left and needs 60 minutes"
    assert not apple.fits
    every = {f.patient_id for f in proposal.proposed + proposal.due_not_fitting}
    assert world.patients["Elder"] not in every  # seen in November, yearly review: not due
    assert proposal.capacity == {"endocrinology": 180} and proposal.used == {"endocrinology": 180}
    assert proposal.capacity_text == "endocrinology 3 h of 3 h"


def test_families_already_invited_count_against_the_hours_and_are_not_proposed_again(session: Session) -> None:
    world = due_world(session)
    invitations.invite(session, world.clinic_id, world.patients["Apple"])
    proposal = invite_proposal.invitation_proposal(session, world.clinic_id)
    assert [f.name for f in proposal.proposed] == ["Testpatient Bramble", "Testpatient Damson"]
    assert [f.name for f in proposal.due_not_fitting] == ["Testpatient Cherry"]
    assert proposal.already_listed == 1
    # A family who declined is not proposed again (re-inviting is a status change), and frees the hours.
    apple = invitations.attendance_of(session, world.clinic_id, world.patients["Apple"])
    invitations.set_status(session, apple.id or 0, S.DECLINED)
    proposal = invite_proposal.invitation_proposal(session, world.clinic_id)
    assert [f.name for f in proposal.proposed] == ["Testpatient Bramble", "Testpatient Damson", "Testpatient Cherry"]
    assert proposal.due_not_fitting == [] and proposal.already_listed == 1


def test_with_nobody_staffed_every_due_family_is_listed_as_not_fitting(session: Session) -> None:
    world = due_world(session)
    bare = clinics.create_clinic_event(session, {"name": "Unstaffed", "start_date": dt.date(2027, 3, 1), "days": 1})
    assert bare.id is not None
    proposal = invite_proposal.invitation_proposal(session, bare.id)
    assert proposal.proposed == []
    assert len(proposal.due_not_fitting) == 4
    assert all(f.not_fitting.startswith("no endocrinology professional is staffed") for f in proposal.due_not_fitting)
    assert proposal.capacity_text.startswith("no professional is staffed at this clinic yet")
    assert world.patients


def test_inviting_the_chosen_list_in_one_write_records_who_and_when(db: Database) -> None:
    world = db.write(due_world)
    chosen = [world.patients["Bramble"], world.patients["Apple"], world.patients["Damson"]]
    assert invitations.save_invitations(db, world.clinic_id, chosen) == 3
    with db.read_session() as s:
        rows = s.exec(select(ClinicAttendance).where(ClinicAttendance.clinic_event_id == world.clinic_id)).all()
        assert sorted(r.patient_id for r in rows) == sorted(chosen)
        assert all(r.status is S.INVITED for r in rows)
        assert all(r.status_changed_by == "test-coordinator" and r.status_changed_at == clock.now() for r in rows)
    # One refused (already invited): none of the list is invited.
    with pytest.raises(ValidationError, match="Testpatient Apple is already invited to this clinic"):
        invitations.save_invitations(db, world.clinic_id, [world.patients["Cherry"], world.patients["Apple"]])
    with db.read_session() as s:
        assert [c.label.split(",")[0] for c in invitations.patients_to_add(s, world.clinic_id)] == ["Cherry", "Elder"]


def test_invitations_refused_for_a_cancelled_clinic(session: Session) -> None:
    world = due_world(session)
    update_record(session, ClinicEvent, world.clinic_id, {"status": ClinicStatus.CANCELLED})
    with pytest.raises(ValidationError, match="this clinic is cancelled"):
        invitations.invite(session, world.clinic_id, world.patients["Apple"])


def _force(session: Session, attendance_id: int, status: AttendanceStatus) -> int:
    """Put the family in ``status`` without the rules (the starting point of each change tried)."""
    return update_record(session, ClinicAttendance, attendance_id, {"status": status}).version


def test_every_status_change_on_the_first_day_allowed_or_refused_by_the_rules(session: Session) -> None:
    world = due_world(session)
    attendance = invitations.invite(session, world.clinic_id, world.patients["Bramble"])
    assert attendance.id is not None
    clock.set_fixed_now(FIRST_DAY)  # replies and attended / did not attend can both be recorded on day 1
    clinic = session.get(ClinicEvent, world.clinic_id)
    assert clinic is not None
    allowed_pairs = refused_pairs = 0
    for current, new in itertools.product(list(S), repeat=2):
        version = _force(session, attendance.id, current)
        by = "family" if new is S.CANCELLED else ""
        if new in ALLOWED[current]:
            changed = invitations.set_status(session, attendance.id, new, cancelled_by=by, expected_version=version)
            assert changed.status is new and changed.version == version + 1
            assert changed.cancelled_by == by
            allowed_pairs += 1
        else:
            with pytest.raises(ValidationError) as refused:
                invitations.set_status(session, attendance.id, new, cancelled_by=by, expected_version=version)
            message = refused.value.errors["status"]
            assert "\n" not in message and message
            assert session.get(ClinicAttendance, attendance.id).status is current  # type: ignore[union-attr]
            assert invitations.refusal(current, new, clinic, FIRST_DAY.date(), by) == message
            refused_pairs += 1
    assert allowed_pairs == sum(len(v) for v in ALLOWED.values()) == 12
    assert refused_pairs == 36 - 12


def test_the_refusals_say_why(session: Session) -> None:
    world = due_world(session)
    a = invitations.invite(session, world.clinic_id, world.patients["Bramble"])
    assert a.id is not None

    def refused(new: AttendanceStatus, by: str = "") -> str:
        with pytest.raises(ValidationError) as info:
            invitations.set_status(session, a.id or 0, new, cancelled_by=by)
        return info.value.errors["status"]

    assert refused(S.INVITED) == "the family is already marked invited"
    assert refused(S.ATTENDED) == "a family marked invited cannot be marked attended (record that they confirmed first)"
    invitations.set_status(session, a.id, S.CONFIRMED)
    assert refused(S.ATTENDED) == "the clinic starts on 11/01/2027: attended can be recorded from that day"
    assert refused(S.DID_NOT_ATTEND).startswith("the clinic starts on 11/01/2027")
    assert refused(S.DECLINED).endswith("(a family that confirmed and can no longer come is cancelled by the family)")
    assert refused(S.CANCELLED) == "say who cancelled: the family or the service"
    clock.set_fixed_now(dt.datetime(2027, 1, 13, 9, 0, tzinfo=dt.UTC))
    assert refused(S.CANCELLED, "service") == (
        "the clinic ended on 12/01/2027: only attended or did not attend can be recorded"
    )
    invitations.set_status(session, a.id, S.DID_NOT_ATTEND)
    assert refused(S.CONFIRMED).endswith("(the clinic has happened)")


def test_declined_family_can_be_re_invited_but_not_into_a_cancelled_clinic(session: Session) -> None:
    world = due_world(session)
    a = invitations.invite(session, world.clinic_id, world.patients["Bramble"])
    assert a.id is not None
    invitations.set_status(session, a.id, S.DECLINED)
    assert invitations.allowed_statuses(S.DECLINED, session.get(ClinicEvent, world.clinic_id), clock.today()) == [  # type: ignore[arg-type]
        S.INVITED,
        S.CONFIRMED,
    ]
    assert invitations.set_status(session, a.id, S.INVITED).status is S.INVITED
    invitations.set_status(session, a.id, S.CANCELLED, cancelled_by="service")
    update_record(session, ClinicEvent, world.clinic_id, {"status": ClinicStatus.CANCELLED})
    with pytest.raises(ValidationError, match="this clinic is cancelled"):
        invitations.set_status(session, a.id, S.INVITED)


def test_each_change_records_who_and_when_and_cancellation_says_by_whom(session: Session) -> None:
    world = due_world(session)
    a = invitations.invite(session, world.clinic_id, world.patients["Bramble"])
    assert a.id is not None
    clock.set_fixed_now(dt.datetime(2026, 12, 1, 14, 30, tzinfo=dt.UTC))
    from coordinator_tui.services.safety import audit

    audit.set_current_user("nurse-two")
    confirmed = invitations.set_status(session, a.id, S.CONFIRMED)
    assert (confirmed.status_changed_at, confirmed.status_changed_by) == (clock.now(), "nurse-two")
    cancelled = invitations.set_status(session, a.id, S.CANCELLED, cancelled_by="family")
    assert cancelled.cancelled_by == "family"
    assert invitations.status_text(cancelled.status, cancelled.cancelled_by) == "✗ cancelled by the family"
    again = invitations.set_status(session, a.id, S.INVITED)
    assert again.cancelled_by == ""  # re-invited: no longer cancelled by anyone
    changes = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "clinicattendance", AuditEvent.entity_id == str(a.id))
    ).all()
    assert len(changes) == 4  # created, then three changes, each audited


def test_status_recorded_on_the_family_named_and_a_stale_change_refused(db: Database) -> None:
    world = db.write(due_world)
    invitations.save_invitations(db, world.clinic_id, [world.patients["Bramble"], world.patients["Damson"]])
    changed = db.write(invitations.set_patient_status, world.clinic_id, world.patients["Damson"], S.DECLINED)
    with db.read_session() as s:
        statuses = {
            a.patient_id: a.status
            for a in s.exec(select(ClinicAttendance).where(ClinicAttendance.clinic_event_id == world.clinic_id))
        }
    assert statuses == {world.patients["Bramble"]: S.INVITED, world.patients["Damson"]: S.DECLINED}
    with pytest.raises(ConcurrentEditError):
        invitations.save_status(db, changed.id or 0, S.INVITED, expected_version=changed.version - 1)
    with db.read_session() as s:
        assert s.get(ClinicAttendance, changed.id).status is S.DECLINED  # type: ignore[union-attr]


def test_families_not_coming_have_nothing_to_book(session: Session) -> None:
    world = due_world(session)
    a = invitations.invite(session, world.clinic_id, world.patients["Bramble"])
    assert a.id is not None
    view = clinics.attendances_for_clinic(session, world.clinic_id)[0]
    assert view.missing == ["travel", "hotel"]
    for status, by in ((S.DECLINED, ""), (S.INVITED, ""), (S.CANCELLED, "service")):
        invitations.set_status(session, a.id, status, cancelled_by=by)
        view = clinics.attendances_for_clinic(session, world.clinic_id)[0]
        assert view.missing == ([] if status is not S.INVITED else ["travel", "hotel"])


def test_status_names_and_texts_never_rely_on_colour() -> None:
    assert {invitations.status_name(s) for s in S} == set(invitations.STATUS_NAMES)
    for status in S:
        text = invitations.status_text(status)
        assert text[0] in "?✓✗" and len(text.split(" ", 1)[1]) > 3
    assert invitations.parse_status("did not attend") is S.DID_NOT_ATTEND
    with pytest.raises(ValidationError, match="must be one of"):
        invitations.parse_status("maybe")
    assert CLINIC_START.weekday() == 0
