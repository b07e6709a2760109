"""The professionals directory's changes: the form (disciplines, usual clinic days), add, edit (stale saves refused),
the likely-duplicate warning, and archiving someone in care teams or booked in future clinics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlmodel import col, select

from coordinator_tui.clinic_time import local_to_utc
from coordinator_tui.db import Database
from coordinator_tui.models import (
    Appointment,
    AppointmentProfessional,
    AppointmentStatus,
    AuditAction,
    AuditEvent,
    CareTeamMember,
    CareTeamStatus,
    ClinicStaffing,
    Professional,
    ProfessionalSetting,
)
from coordinator_tui.services.clinics import clinics
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.people import care_team, patients, professionals
from coordinator_tui.services.people import professional_directory as directory
from coordinator_tui.services.people.professionals import (
    ArchiveNeedsChoiceError,
    LikelyDuplicateError,
    parse_usual_days,
)
from coordinator_tui.services.safety.records import create_record
from coordinator_tui.validation import FieldError, ValidationError
from tests.postgres_server import both_databases

pytestmark = both_databases

TODAY = dt.date(2026, 11, 25)  # the fixed clock's day (tests/conftest.py)
NEXT_CLINIC = dt.date(2027, 1, 11)
LAST_CLINIC = dt.date(2026, 10, 12)

QUINN = {
    "title": "Dr",
    "given_name": "Quinn",
    "family_name": "Gooseberry",
    "discipline": "cardiology",
    "role": "Consultant paediatric cardiologist",
    "organisation": "Exampleton Children's Hospital",
    "setting": "centre",
    "phone": "01632960123",
    "email": "quinn.gooseberry@example.org",
    "usual_days": "monday, wednesday",
}


def patient_values(nhs: str, given: str, hospital: str) -> dict[str, object]:
    return {
        "nhs_number": nhs,
        "hospital_number": hospital,
        "given_name": given,
        "family_name": "Example",
        "date_of_birth": dt.date(2012, 5, 17),
    }


def audit_actions(db: Database, entity: str, entity_id: int) -> list[AuditAction]:
    with db.session() as s:
        rows = s.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
            .order_by(col(AuditEvent.id))
        ).all()
        return [e.action for e in rows]


def reload(db: Database, professional_id: int) -> Professional:
    return directory.find_professional(db, professional_id)


# ------------------------------------------------------------------------------------------------------------
# The form
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Mon, Wed", "Mon Wed"),
        ("monday wednesday", "Mon Wed"),
        ("wed mon mon", "Mon Wed"),
        ("Tues & Thurs", "Tue Thu"),
        ("weds/fri", "Wed Fri"),
        ("Monday, Tuesday and Friday", "Mon Tue Fri"),
        ("SATURDAY", "Sat"),
        ("", ""),
    ],
)
def test_usual_days_are_read_and_kept_in_week_order(typed: str, kept: str) -> None:
    assert parse_usual_days(typed) == kept


@pytest.mark.parametrize("typed", ["fryday", "t", "s", "mon 3", "x" * 81])
def test_usual_days_refuse_what_is_not_a_day(typed: str) -> None:
    with pytest.raises(FieldError) as exc:
        parse_usual_days(typed)
    assert exc.value.field == "usual_days"


def test_the_form_reads_every_field() -> None:
    values = professionals.parse_professional_form(QUINN)
    assert values == {
        "title": "Dr",
        "given_name": "Quinn",
        "family_name": "Gooseberry",
        "discipline": "cardiology",
        "role": "Consultant paediatric cardiologist",
        "organisation": "Exampleton Children's Hospital",
        "setting": ProfessionalSetting.CENTRE,
        "phone": "01632 960123",
        "email": "quinn.gooseberry@example.org",
        "usual_days": "Mon Wed",
    }


def test_the_discipline_comes_from_the_disciplines_file() -> None:
    assert professionals.parse_professional_form({**QUINN, "discipline": "Liver"})["discipline"] == "hepatology"
    assert professionals.parse_professional_form({**QUINN, "discipline": "general practice"})["discipline"] == (
        "general practice"
    )
    listed = professionals.file_disciplines()
    assert "round table" not in listed  # the closing meeting, not a profession
    assert {"cardiology", "specialist nursing", "general practice", "social care"} <= set(listed)
    with pytest.raises(ValidationError) as exc:
        professionals.parse_professional_form({**QUINN, "discipline": "astrology", "usual_days": "someday"})
    assert set(exc.value.errors) == {"discipline", "usual_days"}


def test_form_errors_name_each_wrong_field() -> None:
    with pytest.raises(ValidationError) as exc:
        professionals.parse_professional_form(
            {"given_name": " ", "discipline": "", "setting": "abroad", "phone": "12", "email": "x@"}
        )
    assert set(exc.value.errors) == {"given_name", "family_name", "discipline", "setting", "phone", "email"}


# ------------------------------------------------------------------------------------------------------------
# Add, edit, duplicates
# ------------------------------------------------------------------------------------------------------------


def test_add_then_edit_audited_and_a_stale_edit_refused(db: Database) -> None:
    quinn = directory.add_professional(db, QUINN)
    assert quinn.id is not None and quinn.usual_days == "Mon Wed" and quinn.version == 1
    edited = directory.edit_professional(db, quinn, {**QUINN, "usual_days": "fri", "role": "Consultant"})
    assert (edited.usual_days, edited.role, edited.version) == ("Fri", "Consultant", 2)
    with pytest.raises(ConcurrentEditError):
        directory.edit_professional(db, quinn, {**QUINN, "phone": "01632 960999"})  # quinn is version 1
    assert reload(db, quinn.id).phone == "01632 960123"
    assert audit_actions(db, "professional", quinn.id) == [AuditAction.CREATE, AuditAction.UPDATE]


def test_bad_input_saves_nothing(db: Database) -> None:
    with pytest.raises(ValidationError):
        directory.add_professional(db, {**QUINN, "email": "not an email"})
    with db.session() as s:
        assert s.exec(select(Professional)).all() == []


@pytest.mark.parametrize(
    "other",
    [
        {**QUINN, "given_name": "QUINN", "family_name": "gooseberry", "email": ""},  # same name and discipline
        {**QUINN, "given_name": "Rosa", "discipline": "renal", "email": "Quinn.Gooseberry@EXAMPLE.org"},  # email
    ],
)
def test_a_likely_duplicate_is_refused_until_confirmed(db: Database, other: dict[str, str]) -> None:
    first = directory.add_professional(db, QUINN)
    with pytest.raises(LikelyDuplicateError) as exc:
        directory.add_professional(db, other)
    assert [p.id for p in exc.value.matches] == [first.id]
    assert "Dr Quinn Gooseberry" in exc.value.errors["duplicate"]
    second = directory.add_professional(db, other, allow_duplicate=True)
    assert second.id != first.id


def test_not_a_duplicate_same_name_other_discipline(db: Database) -> None:
    directory.add_professional(db, QUINN)
    other = directory.add_professional(db, {**QUINN, "discipline": "renal", "email": ""})
    assert other.discipline == "renal"


def test_editing_is_checked_for_duplicates_but_not_against_itself(db: Database) -> None:
    quinn = directory.add_professional(db, QUINN)
    rosa = directory.add_professional(db, {**QUINN, "given_name": "Rosa", "email": "rosa@example.org"})
    quinn = directory.edit_professional(db, quinn, {**QUINN, "phone": "01632 960555"})  # itself: no warning
    with pytest.raises(LikelyDuplicateError):
        directory.edit_professional(db, rosa, {"email": "QUINN.gooseberry@example.org"})
    rosa = directory.edit_professional(db, rosa, {"email": "quinn.gooseberry@example.org"}, allow_duplicate=True)
    assert rosa.email == "quinn.gooseberry@example.org"


# ------------------------------------------------------------------------------------------------------------
# Archive
# ------------------------------------------------------------------------------------------------------------


@dataclass
class Service:
    db: Database
    quinn: int
    nell: int  # the named worker of both patients
    pip: int
    wren: int
    member_pip: int
    member_wren: int


@pytest.fixture
def service(db: Database) -> Iterator[Service]:
    quinn = directory.add_professional(db, QUINN)
    nell = directory.add_professional(
        db, {"given_name": "Nell", "family_name": "Hazelbrook", "discipline": "specialist nursing"}
    )
    with db.session() as s:
        pip = patients.create_patient(s, patient_values("9434765919", "Testpatient0", "EXH1")).id
        wren = patients.create_patient(s, patient_values("4010232137", "Testpatient1", "EXH2")).id
        ids = []
        for patient in (pip, wren):
            care_team.add_member(s, patient, nell.id, {"is_named_worker": True})  # type: ignore[arg-type]
            ids.append(care_team.add_member(s, patient, quinn.id, {"role": "Cardiologist"}).id)  # type: ignore[arg-type]
    yield Service(db, quinn.id, nell.id, pip, wren, *ids)  # type: ignore[arg-type]


def book(db: Database, professional_id: int, patient_id: int, day: dt.date, status: AppointmentStatus) -> None:
    with db.session() as s:
        clinic = clinics.create_clinic_event(s, {"name": f"Combined clinic {day:%B %Y}", "start_date": day, "days": 2})
        start = local_to_utc(day, dt.time(10, 30))
        appointment = create_record(
            s,
            Appointment(
                uid=f"test-{clinic.id}-{patient_id}@example.org",
                clinic_event_id=clinic.id,  # type: ignore[arg-type]
                patient_id=patient_id,
                discipline="cardiology",
                start=start,
                end=start + dt.timedelta(minutes=30),
                status=status,
            ),
        )
        s.add(AppointmentProfessional(appointment_id=appointment.id, professional_id=professional_id))  # type: ignore[arg-type]
        create_record(
            s,
            ClinicStaffing(
                clinic_event_id=clinic.id,  # type: ignore[arg-type]
                professional_id=professional_id,
                day=day + dt.timedelta(days=1),
                start_time=dt.time(9, 0),
            ),
        )


def memberships(db: Database, professional_id: int) -> list[CareTeamMember]:
    with db.session() as s:
        query = select(CareTeamMember).where(CareTeamMember.professional_id == professional_id)
        return list(s.exec(query.order_by(col(CareTeamMember.id))).all())


def test_archiving_someone_in_no_care_team_and_no_booking(db: Database) -> None:
    quinn = directory.add_professional(db, QUINN)
    impact = directory.what_archiving_touches(db, quinn.id)  # type: ignore[arg-type]
    assert impact.is_clear
    result = directory.archive(db, quinn)
    assert result.professional.archived and result.ended == [] and result.bookings_to_move == []
    page = directory.directory_page(db, "", limit=10)
    assert page.professionals == []
    assert [p.id for p in directory.directory_page(db, "", limit=10, include_archived=True).professionals] == [quinn.id]
    with pytest.raises(ValidationError, match="already archived"):
        directory.archive(db, reload(db, quinn.id))  # type: ignore[arg-type]
    assert audit_actions(db, "professional", quinn.id) == [AuditAction.CREATE, AuditAction.ARCHIVE]  # type: ignore[arg-type]


def test_archiving_someone_in_care_teams_says_so_then_ends_the_memberships(service: Service) -> None:
    db = service.db
    quinn = reload(db, service.quinn)
    impact = directory.what_archiving_touches(db, service.quinn)
    assert [m.member_id for m in impact.memberships] == [service.member_pip, service.member_wren]
    assert [m.patient_name for m in impact.memberships] == ["Example, Testpatient0", "Example, Testpatient1"]
    assert impact.bookings == [] and impact.named_worker_of == []
    with pytest.raises(ArchiveNeedsChoiceError) as exc:
        directory.archive(db, quinn)
    assert exc.value.impact == impact
    assert "in the current care team of 2 patients" in exc.value.errors["archive"]
    assert not reload(db, service.quinn).archived
    assert all(m.status is CareTeamStatus.ACTIVE for m in memberships(db, service.quinn))

    result = directory.archive(db, quinn, end_memberships=True, seen=impact)
    assert result.professional.archived
    assert [m.member_id for m in result.ended] == [service.member_pip, service.member_wren]
    ended = memberships(db, service.quinn)
    assert [(m.status, m.end_date) for m in ended] == [(CareTeamStatus.ENDED, TODAY)] * 2
    for member in ended:
        assert audit_actions(db, "careteammember", member.id) == [AuditAction.CREATE, AuditAction.UPDATE]  # type: ignore[arg-type]
    assert [v.professional.id for v in db.read(care_team.team, service.pip)] == [service.nell]


def test_archiving_someone_booked_in_future_clinics_lists_the_bookings_to_move(service: Service) -> None:
    db = service.db
    book(db, service.quinn, service.pip, NEXT_CLINIC, AppointmentStatus.BOOKED)
    book(db, service.quinn, service.wren, LAST_CLINIC, AppointmentStatus.FULFILLED)  # past: not listed
    impact = directory.what_archiving_touches(db, service.quinn)
    assert [b.describe() for b in impact.bookings] == [
        "Combined clinic January 2027, 11/01/2027 10:30: Example, Testpatient0 (cardiology)",
        "Combined clinic January 2027, 12/01/2027 09:00: staffing the clinic",
    ]
    with pytest.raises(ArchiveNeedsChoiceError, match="booked in 2 future clinic sessions"):
        directory.archive(db, reload(db, service.quinn))
    result = directory.archive(db, reload(db, service.quinn), end_memberships=True, seen=impact)
    assert result.bookings_to_move == impact.bookings
    assert reload(db, service.quinn).archived


def test_a_cancelled_booking_is_not_one_to_move(service: Service) -> None:
    book(service.db, service.quinn, service.pip, NEXT_CLINIC, AppointmentStatus.CANCELLED)
    impact = directory.what_archiving_touches(service.db, service.quinn)
    assert [b.patient_name for b in impact.bookings] == [""]  # only the staffing session remains


def test_archive_refused_when_what_it_touches_changed_since_shown(service: Service) -> None:
    db = service.db
    shown = directory.what_archiving_touches(db, service.quinn)
    book(db, service.quinn, service.pip, NEXT_CLINIC, AppointmentStatus.BOOKED)
    with pytest.raises(ArchiveNeedsChoiceError, match="changed since you looked"):
        directory.archive(db, reload(db, service.quinn), end_memberships=True, seen=shown)
    assert all(m.status is CareTeamStatus.ACTIVE for m in memberships(db, service.quinn))


def test_the_named_worker_is_never_archived(service: Service) -> None:
    db = service.db
    impact = directory.what_archiving_touches(db, service.nell)
    assert len(impact.named_worker_of) == 2
    with pytest.raises(ArchiveNeedsChoiceError, match="make someone else the named worker first"):
        directory.archive(db, reload(db, service.nell), end_memberships=True, seen=impact)
    assert not reload(db, service.nell).archived
    assert all(m.status is CareTeamStatus.ACTIVE and m.is_named_worker for m in memberships(db, service.nell))


def test_a_stale_archive_is_refused(service: Service) -> None:
    db = service.db
    nell = reload(db, service.nell)
    directory.edit_professional(db, nell, {"phone": "01632 960111"})
    with db.session() as s:
        for member in s.exec(select(CareTeamMember).where(CareTeamMember.professional_id == service.nell)).all():
            care_team.update_member(s, member.id, {"is_named_worker": False})  # type: ignore[arg-type]
    with pytest.raises(ConcurrentEditError):
        directory.archive(db, nell, end_memberships=True)  # nell as read before the edit
    assert all(m.status is CareTeamStatus.ACTIVE for m in memberships(db, service.nell))


def care_team_world(db: Database) -> tuple[int, int, int]:
    """Quinn in two patients' care teams and booked at the next clinic; Nell the named worker of both."""
    quinn = directory.add_professional(db, QUINN)
    nell = directory.add_professional(db, {"given_name": "Nell", "family_name": "Hazelbrook", "discipline": "renal"})
    with db.session() as s:
        pip = patients.create_patient(s, patient_values("9434765919", "Testpatient0", "EXH1")).id
        wren = patients.create_patient(s, patient_values("4010232137", "Testpatient1", "EXH2")).id
        for patient in (pip, wren):
            care_team.add_member(s, patient, nell.id, {"is_named_worker": True})  # type: ignore[arg-type]
            care_team.add_member(s, patient, quinn.id, {"role": "Cardiologist"})  # type: ignore[arg-type]
    book(db, quinn.id, pip, NEXT_CLINIC, AppointmentStatus.BOOKED)  # type: ignore[arg-type]
    return quinn.id, nell.id, pip  # type: ignore[return-value]


def test_an_archived_professional_is_never_newly_booked_or_staffed(service: Service) -> None:
    from coordinator_tui.services.clinics import appointments

    db = service.db
    directory.archive(db, reload(db, service.quinn), end_memberships=True)
    with db.session() as s:
        clinic = clinics.create_clinic_event(s, {"name": "Combined clinic", "start_date": NEXT_CLINIC, "days": 2}).id
    start = local_to_utc(NEXT_CLINIC, dt.time(11, 0))
    with db.session() as s, pytest.raises(ValidationError, match="archived; choose someone current"):
        appointments.book_appointment(
            s,
            clinic_id=clinic,  # type: ignore[arg-type]
            patient_id=service.pip,
            professional_ids=[service.quinn],
            start=start,
            end=start + dt.timedelta(minutes=30),
            discipline="cardiology",
        )
    with db.session() as s, pytest.raises(ValidationError, match="archived; choose someone current"):
        clinics.set_staffing(s, clinic, service.quinn, NEXT_CLINIC, dt.time(9, 0), dt.time(17, 0))  # type: ignore[arg-type]
    with db.session() as s:
        assert s.exec(select(Appointment)).all() == [] and s.exec(select(ClinicStaffing)).all() == []
