"""Domain services: round trips, audit events, optimistic concurrency, named workers, bookings and clashes.

Each test works through separate sessions (units of work), as the app does, so what is checked is what was
committed to the database, not what sits in one session's identity map.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from coordinator_tui.clinic_time import local_to_utc
from coordinator_tui.db import Database, open_database
from coordinator_tui.models import (
    Appointment,
    AppointmentKind,
    AppointmentProfessional,
    AppointmentStatus,
    AttendanceStatus,
    AuditAction,
    AuditEvent,
    CareTeamMember,
    CareTeamStatus,
    ClinicAttendance,
    ClinicEvent,
    ClinicStatus,
    Contact,
    ContactMethod,
    ContactRelationship,
    Patient,
    Professional,
    ProfessionalSetting,
    Service,
)
from coordinator_tui.services.clinics import appointments, clinics, invitations, venues
from coordinator_tui.services.clinics.appointments import ClashKind
from coordinator_tui.services.errors import ConcurrentEditError, NotFoundError
from coordinator_tui.services.people import care_team, contacts, patients, professionals
from coordinator_tui.services.people import specialist_service as service
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.records import update_record
from coordinator_tui.validation import ValidationError
from tests.postgres_server import both_databases

pytestmark = both_databases

ZONE = "Europe/London"
TODAY = dt.date(2026, 11, 25)
CLINIC_DAY1 = dt.date(2027, 1, 11)  # a Monday
CLINIC_DAY2 = dt.date(2027, 1, 12)


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hh, mm), ZONE)


def patient_values(nhs: str = "9434765919", **extra: object) -> dict[str, object]:
    values: dict[str, object] = {
        "nhs_number": nhs,
        "hospital_number": "EXH100001",
        "given_name": "Pip",
        "family_name": "Applewhistle",
        "date_of_birth": dt.date(2012, 5, 17),
    }
    values.update(extra)
    return values


def events(database: Database, entity: str | None = None) -> list[AuditEvent]:
    with database.session() as session:
        query = select(AuditEvent).order_by(col(AuditEvent.id))
        if entity is not None:
            query = query.where(AuditEvent.entity == entity)
        return list(session.exec(query).all())


@dataclass
class World:
    """A small clinic: two patients, three professionals, one two-day clinic with two rooms."""

    db: Database
    pip: int
    wren: int
    eye: int
    ear: int
    nurse: int
    clinic: int
    room_a: int
    room_b: int


@pytest.fixture
def world(db: Database) -> Iterator[World]:
    with db.session() as s:
        pip = patients.create_patient(s, patient_values()).id
        wren = patients.create_patient(
            s, patient_values("4010232137", given_name="Wren", family_name="Bramblecombe", hospital_number="EXH2")
        ).id
        eye = professionals.create_professional(
            s, {"title": "Dr", "given_name": "Ivo", "family_name": "Fernsbury", "discipline": "ophthalmology"}
        ).id
        ear = professionals.create_professional(
            s, {"given_name": "Juno", "family_name": "Gooseberry", "discipline": "audiology"}
        ).id
        nurse = professionals.create_professional(
            s, {"given_name": "Nell", "family_name": "Hazelbrook", "discipline": "specialist nursing"}
        ).id
        venues.add_venue(s, {"name": "Exampleton"})
        clinic = clinics.create_clinic_event(
            s, {"name": "Combined clinic January 2027", "venue": "Exampleton", "start_date": CLINIC_DAY1, "days": 2}
        ).id
        room_a = clinics.add_room(s, clinic, "Eye Clinic", "Children's Building").id
        room_b = clinics.add_room(s, clinic, "Room 2", "Outpatients").id
    yield World(db, pip, wren, eye, ear, nurse, clinic, room_a, room_b)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------------------
# Patients
# ------------------------------------------------------------------------------------------------------------


def test_patient_round_trip_with_audit(db: Database) -> None:
    form = {
        "nhs_number": "943 476 5919",
        "hospital_number": "EXH100001",
        "given_name": " Pip ",
        "family_name": "Applewhistle",
        "date_of_birth": "17/05/2012",
        "school": "Puddleby Primary School",
        "large_print": "yes",
    }
    values = patients.parse_patient_form(form)
    assert values["nhs_number"] == "9434765919"
    assert values["given_name"] == "Pip"
    assert values["date_of_birth"] == dt.date(2012, 5, 17)
    assert values["registered_on"] == TODAY
    with db.session() as s:
        created = patients.create_patient(s, values)
    assert created.id is not None and created.version == 1

    with db.session() as s:
        got = patients.get_patient(s, created.id)
        assert (got.full_name, got.nhs_number, got.large_print, got.archived) == (
            "Pip Applewhistle", "9434765919", True, False
        )  # fmt: skip
        updated = patients.update_patient(s, created.id, {"school": "Little Snoring Academy"}, expected_version=1)
        assert updated.version == 2
    with db.session() as s:
        assert patients.get_patient(s, created.id).school == "Little Snoring Academy"
        archived = patients.archive_patient(s, created.id, expected_version=2)
        assert archived.archived and archived.version == 3
    with db.session() as s:
        assert patients.list_patients(s) == []
        assert [p.id for p in patients.list_patients(s, include_archived=True)] == [created.id]
        assert patients.search_patients(s, "Applewhistle") == []
        assert len(patients.search_patients(s, "Applewhistle", include_archived=True)) == 1

    log = events(db, "patient")
    assert [e.action for e in log] == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.ARCHIVE]
    assert all(e.user == "test-coordinator" for e in log)
    assert all(e.at == dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC) for e in log)
    assert all(e.entity_id == str(created.id) and e.patient_id == created.id for e in log)
    create, update, archive = log
    assert json.loads(create.before) == {}
    after = json.loads(create.after)
    assert after["nhs_number"] == "9434765919" and after["date_of_birth"] == "2012-05-17"
    # An update records only what changed (and the version it moved from/to).
    assert json.loads(update.before) == {"school": "Puddleby Primary School", "version": 1}
    assert json.loads(update.after) == {"school": "Little Snoring Academy", "version": 2}
    # An archive keeps the whole record before and after.
    assert (json.loads(archive.before)["archived"], json.loads(archive.before)["version"]) == (False, 2)
    assert (json.loads(archive.after)["archived"], json.loads(archive.after)["version"]) == (True, 3)
    assert json.loads(archive.after)["nhs_number"] == "9434765919"


def test_patient_form_reports_every_bad_field(db: Database) -> None:
    with pytest.raises(ValidationError) as exc:
        patients.parse_patient_form(
            {
                "nhs_number": "9434765918",
                "hospital_number": "EXH 1!",
                "given_name": "",
                "family_name": "A" * 101,
                "date_of_birth": "26/11/2026",
                "planned_transfer_date": "31/02/2030",
            }
        )
    assert set(exc.value.errors) == {
        "nhs_number", "hospital_number", "given_name", "family_name", "date_of_birth", "planned_transfer_date"
    }  # fmt: skip
    assert "check digit" in exc.value.errors["nhs_number"]
    assert exc.value.errors["date_of_birth"] == "cannot be in the future"


def test_registered_before_birth_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        patients.parse_patient_form(
            {
                "nhs_number": "9434765919",
                "hospital_number": "EXH1",
                "given_name": "Pip",
                "family_name": "Applewhistle",
                "date_of_birth": "17/05/2012",
                "registered_on": "16/05/2012",
            }
        )
    assert exc.value.errors == {"registered_on": "cannot be before the date of birth"}


def test_duplicate_nhs_number_is_refused(db: Database) -> None:
    with db.session() as s:
        first = patients.create_patient(s, patient_values())
        other = patients.create_patient(s, patient_values("4010232137", given_name="Wren"))
    with pytest.raises(ValidationError) as exc, db.session() as s:
        patients.create_patient(s, patient_values(given_name="Someone", family_name="Else"))
    assert exc.value.errors == {"nhs_number": "this NHS number is already registered to another patient"}
    with pytest.raises(ValidationError, match="already registered"), db.session() as s:
        patients.update_patient(s, other.id, {"nhs_number": "9434765919"})  # type: ignore[arg-type]
    # Re-saving a patient's own number is not a duplicate.
    with db.session() as s:
        patients.update_patient(s, first.id, {"nhs_number": "9434765919", "given_name": "Pippa"})  # type: ignore[arg-type]
    # The database refuses a duplicate even if the service check is bypassed.
    with pytest.raises(sa.exc.IntegrityError), db.session() as s:
        s.add(Patient(**patient_values(), registered_on=TODAY))  # type: ignore[arg-type]
        s.flush()
    with db.session() as s:
        assert sorted(p.nhs_number for p in s.exec(select(Patient)).all()) == ["4010232137", "9434765919"]
    assert len(events(db, "patient")) == 3  # two creates and one update: refused saves leave no audit


def test_service_refuses_invalid_nhs_and_future_birth_even_without_the_form(db: Database) -> None:
    with pytest.raises(ValidationError, match="check digit"), db.session() as s:
        patients.create_patient(s, patient_values("9434765918"))
    with pytest.raises(ValidationError, match="future"), db.session() as s:
        patients.create_patient(s, patient_values(date_of_birth=dt.date(2026, 11, 26)))
    with db.session() as s:
        assert s.exec(select(Patient)).all() == []


def test_search_patients_by_name_nhs_and_hospital_number(world: World) -> None:
    with world.db.session() as s:

        def names(text: str) -> list[str]:
            return [p.given_name for p in patients.search_patients(s, text)]

        assert names("apple") == ["Pip"]
        assert names("PIP apple") == ["Pip"]  # every word must match
        assert names("pip bramble") == []
        assert names("943 476 5919") == ["Pip"]  # spaced NHS number
        assert names("4010232137") == ["Wren"]
        assert names("exh2") == ["Wren"]
        assert names("") == ["Pip", "Wren"]  # ordered by family name


def test_missing_records_raise_not_found(db: Database) -> None:
    with db.session() as s:
        with pytest.raises(NotFoundError, match="no patient with id 99"):
            patients.get_patient(s, 99)
        with pytest.raises(NotFoundError):
            patients.update_patient(s, 99, {"school": "x"})
        with pytest.raises(NotFoundError):
            contacts.create_contact(s, 99, {"name": "Nobody"})


# ------------------------------------------------------------------------------------------------------------
# Optimistic concurrency
# ------------------------------------------------------------------------------------------------------------


def test_stale_save_is_refused_naming_who_changed_it(db: Database) -> None:
    with db.session() as s:
        patient_id = patients.create_patient(s, patient_values()).id
    # Coordinator A opens the form (version 1); then a colleague saves first.
    with db.session() as s:
        opened_version = patients.get_patient(s, patient_id).version  # type: ignore[arg-type]
    audit.set_current_user("colleague-nurse")
    with db.session() as s:
        patients.update_patient(s, patient_id, {"school": "Colleague's school"}, expected_version=opened_version)  # type: ignore[arg-type]
    audit.set_current_user("test-coordinator")

    with pytest.raises(ConcurrentEditError) as exc, db.session() as s:
        patients.update_patient(s, patient_id, {"school": "My school"}, expected_version=opened_version)  # type: ignore[arg-type]
    error = exc.value
    assert error.changed_by == "colleague-nurse"
    assert error.changed_at == "25/11/2026 10:00"  # local time (GMT in November)
    assert "colleague-nurse" in str(error) and "were not saved" in str(error)
    assert "\n" not in str(error)

    with db.session() as s:
        patient = patients.get_patient(s, patient_id)  # type: ignore[arg-type]
        assert (patient.school, patient.version) == ("Colleague's school", 2)
    assert [(e.user, e.action) for e in events(db, "patient")] == [
        ("test-coordinator", AuditAction.CREATE),
        ("colleague-nurse", AuditAction.UPDATE),
    ]


@pytest.mark.parametrize(
    "stale_save",
    [
        lambda s, w: professionals.update_professional(s, w.eye, {"phone": "01632 960999"}, expected_version=0),
        lambda s, w: professionals.archive_professional(s, w.eye, expected_version=7),
        lambda s, w: clinics.update_clinic_event(s, w.clinic, {"venue": "Elsewhere"}, expected_version=1),
        lambda s, w: clinics.cancel_clinic_event(s, w.clinic, expected_version=1),
        lambda s, w: patients.archive_patient(s, w.pip, expected_version=2),
    ],
)
def test_every_versioned_update_refuses_a_stale_version(world: World, stale_save) -> None:  # type: ignore[no-untyped-def]
    before = len(events(world.db))
    with pytest.raises(ConcurrentEditError) as exc, world.db.session() as s:
        stale_save(s, world)
    assert exc.value.changed_by == "test-coordinator"  # the last audited change was the record's creation
    assert len(events(world.db)) == before
    with world.db.session() as s:
        assert patients.get_patient(s, world.pip).archived is False
        assert clinics.get_clinic(s, world.clinic).status is ClinicStatus.PLANNED
        assert professionals.get_professional(s, world.eye).phone == ""


def test_version_checked_in_the_update_statement_itself(db: Database) -> None:
    """Two units of work that both read version 1: the second UPDATE matches no row and is refused."""
    with db.session() as s:
        patient_id = patients.create_patient(s, patient_values()).id
    with db.session() as s:
        held = patients.get_patient(s, patient_id)  # type: ignore[arg-type]  # kept, as a form would
        s.execute(sa.text("UPDATE patient SET school = 'sneaky', version = 2 WHERE id = :id"), {"id": patient_id})
        with pytest.raises(ConcurrentEditError):
            # The session still holds version 1 in its identity map; the UPDATE's WHERE version = 1 misses.
            update_record(s, Patient, patient_id, {"school": "mine"})
        assert held.version == 1
        s.rollback()


def test_update_without_changes_writes_nothing(db: Database) -> None:
    with db.session() as s:
        patient_id = patients.create_patient(s, patient_values()).id
        again = update_record(s, Patient, patient_id, {"id": 5, "version": 9})
        assert (again.id, again.version) == (patient_id, 1)
    assert len(events(db, "patient")) == 1


def test_unknown_field_is_refused(db: Database) -> None:
    with pytest.raises(KeyError, match="no field"), db.session() as s:
        patient_id = patients.create_patient(s, patient_values()).id
        update_record(s, Patient, patient_id, {"favourite_colour": "blue"})


# ------------------------------------------------------------------------------------------------------------
# Contacts
# ------------------------------------------------------------------------------------------------------------


def test_contact_round_trip(world: World) -> None:
    values = contacts.parse_contact_form(
        {
            "name": "Morgan Applewhistle",
            "relationship": "Parent",
            "phone": "+44 7700 900123",
            "email": "morgan@example.org",
            "preferred_method": "text",
            "address": "3 Imaginary Close\r\nExampleton",
        }
    )
    assert values["phone"] == "07700 900123"
    assert values["relationship"] is ContactRelationship.PARENT
    assert values["address"] == "3 Imaginary Close\nExampleton"
    with world.db.session() as s:
        contact = contacts.create_contact(s, world.pip, values)
        self_contact = contacts.create_contact(
            s, world.pip, {"name": "Pip Applewhistle", "relationship": ContactRelationship.SELF,
                           "receives_itinerary": False}
        )  # fmt: skip
    with world.db.session() as s:
        assert [c.name for c in contacts.list_contacts(s, world.pip)] == ["Morgan Applewhistle", "Pip Applewhistle"]
        assert [c.id for c in contacts.itinerary_recipients(s, world.pip)] == [contact.id]
        contacts.update_contact(s, contact.id, {"preferred_method": ContactMethod.EMAIL}, expected_version=1)  # type: ignore[arg-type]
    with world.db.session() as s:
        assert s.get(Contact, contact.id).preferred_method is ContactMethod.EMAIL  # type: ignore[union-attr]
        contacts.delete_contact(s, contact.id)  # type: ignore[arg-type]
    with world.db.session() as s:
        assert [c.id for c in contacts.list_contacts(s, world.pip)] == [self_contact.id]
        with pytest.raises(ValidationError, match="nobody is marked"):
            contacts.itinerary_recipients(s, world.pip)
    log = events(world.db, "contact")
    assert [e.action for e in log] == [AuditAction.CREATE, AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE]
    assert log[-1].patient_id == world.pip
    assert json.loads(log[-1].before)["name"] == "Morgan Applewhistle"
    assert json.loads(log[-1].after) == {}


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"name": ""}, {"name", "phone"}),  # phone is the default preferred method
        ({"name": "A", "preferred_method": "email"}, {"email"}),
        ({"name": "A", "preferred_method": "post"}, {"address"}),
        ({"name": "A", "preferred_method": "pigeon", "relationship": "cousin"}, {"preferred_method", "relationship"}),
        ({"name": "A", "phone": "+1 202 555 0100", "email": "not-an-email"}, {"phone", "email"}),
    ],
)
def test_contact_form_errors(form: dict[str, str], errors: set[str]) -> None:
    with pytest.raises(ValidationError) as exc:
        contacts.parse_contact_form(form)
    assert set(exc.value.errors) == errors


def test_deleting_a_patient_cascades_to_contacts(world: World) -> None:
    with world.db.session() as s:
        contacts.create_contact(s, world.pip, {"name": "Morgan", "phone": "07700 900123"})
    with world.db.session() as s:
        s.execute(sa.delete(Patient).where(col(Patient.id) == world.pip))
    with world.db.session() as s:
        assert s.exec(select(Contact)).all() == []


# ------------------------------------------------------------------------------------------------------------
# Professionals
# ------------------------------------------------------------------------------------------------------------


def test_professional_round_trip(world: World) -> None:
    values = professionals.parse_professional_form(
        {"given_name": "Otto", "family_name": "Inkwellby", "discipline": "General Practice", "setting": "Local",
         "phone": "01632960123", "email": "otto@example.org", "organisation": "Puddleby Health Centre"}
    )  # fmt: skip
    assert values["discipline"] == "general practice"
    assert values["setting"] is ProfessionalSetting.LOCAL
    assert values["phone"] == "01632 960123"
    with world.db.session() as s:
        gp = professionals.create_professional(s, values)
    with world.db.session() as s:
        assert [p.family_name for p in professionals.list_professionals(s)] == [
            "Fernsbury", "Gooseberry", "Hazelbrook", "Inkwellby"
        ]  # fmt: skip
        assert [p.id for p in professionals.list_professionals(s, text="puddleby")] == [gp.id]
        assert [p.id for p in professionals.list_professionals(s, discipline="audiology")] == [world.ear]
        assert professionals.disciplines(s) == ["audiology", "general practice", "ophthalmology", "specialist nursing"]
        professionals.update_professional(s, gp.id, {"title": "Dr"}, expected_version=1)  # type: ignore[arg-type]
    with world.db.session() as s:
        assert professionals.get_professional(s, gp.id).display_name == "Dr Otto Inkwellby"  # type: ignore[arg-type]
        professionals.archive_professional(s, gp.id, expected_version=2)  # type: ignore[arg-type]
    with world.db.session() as s:
        assert gp.id not in [p.id for p in professionals.list_professionals(s)]
        assert gp.id in [p.id for p in professionals.list_professionals(s, include_archived=True)]
        with pytest.raises(ValidationError, match="archived"):
            care_team.add_member(s, world.pip, gp.id, {})  # type: ignore[arg-type]
    actions = [e.action for e in events(world.db, "professional") if e.entity_id == str(gp.id)]
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.ARCHIVE]


def test_professional_form_errors() -> None:
    with pytest.raises(ValidationError) as exc:
        professionals.parse_professional_form({"given_name": "", "setting": "abroad", "email": "x@"})
    assert set(exc.value.errors) == {"given_name", "family_name", "discipline", "setting", "email"}


# ------------------------------------------------------------------------------------------------------------
# Care teams and the named worker
# ------------------------------------------------------------------------------------------------------------


def named_workers(database: Database, patient_id: int) -> list[int]:
    with database.session() as s:
        return [
            m.professional_id
            for m in s.exec(
                select(CareTeamMember).where(
                    CareTeamMember.patient_id == patient_id, col(CareTeamMember.is_named_worker).is_(True)
                )
            ).all()
        ]


def test_care_team_round_trip_and_one_named_worker(world: World) -> None:
    with world.db.session() as s:
        nurse = care_team.add_member(s, world.pip, world.nurse, {"role": "named worker", "is_named_worker": True})
        eye_values = care_team.parse_member_form({"role": "Eyes", "start_date": "01/09/2020"})
        eye = care_team.add_member(s, world.pip, world.eye, eye_values)
        care_team.add_member(s, world.wren, world.eye, {"is_named_worker": True})
    assert eye.start_date == dt.date(2020, 9, 1) and nurse.start_date == TODAY
    assert named_workers(world.db, world.pip) == [world.nurse]

    with world.db.session() as s:
        moved = care_team.make_named_worker(s, eye.id, expected_version=1)  # type: ignore[arg-type]
        assert moved.is_named_worker and moved.version == 2
    assert named_workers(world.db, world.pip) == [world.eye]
    assert named_workers(world.db, world.wren) == [world.eye]  # another patient's team is not touched
    with world.db.session() as s:
        view = care_team.named_worker(s, world.pip)
        assert view is not None and view.professional.id == world.eye
        assert [v.professional.discipline for v in care_team.team(s, world.pip)] == [
            "ophthalmology", "specialist nursing"
        ]  # fmt: skip
        assert list(care_team.grouped_by_discipline(care_team.team(s, world.pip))) == [
            "ophthalmology", "specialist nursing"
        ]  # fmt: skip
        # A newly added named worker moves the flag too.
        care_team.add_member(s, world.pip, world.ear, {"is_named_worker": True})
    assert named_workers(world.db, world.pip) == [world.ear]

    member_events = [e for e in events(world.db, "careteammember") if e.patient_id == world.pip]
    flag_changes = [
        (json.loads(e.before), json.loads(e.after)) for e in member_events if e.action == AuditAction.UPDATE
    ]
    assert ({"is_named_worker": True, "version": 1}, {"is_named_worker": False, "version": 2}) in flag_changes
    assert all(e.user == "test-coordinator" for e in member_events)


def test_database_refuses_two_named_workers(world: World) -> None:
    with world.db.session() as s:
        care_team.add_member(s, world.pip, world.nurse, {"is_named_worker": True})
    with pytest.raises(sa.exc.IntegrityError), world.db.session() as s:
        s.add(CareTeamMember(patient_id=world.pip, professional_id=world.eye, start_date=TODAY, is_named_worker=True))
        s.flush()
    with pytest.raises(sa.exc.IntegrityError), world.db.session() as s:
        member = care_team.add_member(s, world.pip, world.eye, {})
        s.execute(sa.update(CareTeamMember).where(col(CareTeamMember.id) == member.id).values(is_named_worker=True))
    assert named_workers(world.db, world.pip) == [world.nurse]


def test_same_professional_twice_and_ended_members(world: World) -> None:
    with world.db.session() as s:
        member = care_team.add_member(s, world.pip, world.nurse, {})
        with pytest.raises(ValidationError, match="already in the patient's care team"):
            care_team.add_member(s, world.pip, world.nurse, {})
    with world.db.session() as s:
        with pytest.raises(ValidationError, match="before the start date"):
            care_team.end_membership(s, member.id, dt.date(2026, 11, 24))  # type: ignore[arg-type]
        ended = care_team.end_membership(s, member.id)  # type: ignore[arg-type]
        assert (ended.status, ended.end_date, ended.is_named_worker) == (CareTeamStatus.ENDED, TODAY, False)
    with world.db.session() as s:
        assert care_team.team(s, world.pip) == []
        assert len(care_team.team(s, world.pip, include_ended=True)) == 1
        with pytest.raises(ValidationError, match="ended membership"):
            care_team.make_named_worker(s, member.id)  # type: ignore[arg-type]
        again = care_team.add_member(s, world.pip, world.nurse, {})  # rejoining after an end is allowed
        assert again.status is CareTeamStatus.ACTIVE
    with pytest.raises(ValidationError) as exc:
        care_team.parse_member_form({"start_date": "10/10/2025", "end_date": "09/10/2025"})
    assert exc.value.errors == {"end_date": "cannot be before the start date"}


def test_patients_of_and_counts(world: World) -> None:
    with world.db.session() as s:
        care_team.add_member(s, world.pip, world.eye, {})
        care_team.add_member(s, world.wren, world.eye, {})
        m = care_team.add_member(s, world.wren, world.ear, {})
        care_team.end_membership(s, m.id)  # type: ignore[arg-type]
    with world.db.session() as s:
        assert [p.given_name for p in professionals.patients_of(s, world.eye)] == ["Pip", "Wren"]
        assert professionals.patients_of(s, world.ear) == []
        assert [p.given_name for p in professionals.patients_of(s, world.ear, active_only=False)] == ["Wren"]
        assert professionals.patient_counts(s) == {world.eye: 2}


# ------------------------------------------------------------------------------------------------------------
# Clinic events, rooms, staffing, attendances
# ------------------------------------------------------------------------------------------------------------


def test_clinic_round_trip(world: World) -> None:
    values = clinics.parse_clinic_form({"name": "Combined clinic March 2027", "start_date": "08/03/2027"})
    assert (values["days"], values["day_start"], values["day_end"]) == (2, dt.time(9), dt.time(17))
    with world.db.session() as s:
        march = clinics.create_clinic_event(s, values)
        assert march.service_id == service.get_service(s).id
        assert march.dates == [dt.date(2027, 3, 8), dt.date(2027, 3, 9)] and march.end_date == dt.date(2027, 3, 9)
    with world.db.session() as s:
        assert [c.name for c in clinics.list_clinics(s)] == [
            "Combined clinic January 2027", "Combined clinic March 2027"
        ]  # fmt: skip
        # A clinic is upcoming until its last day has passed.
        assert [c.id for c in clinics.list_clinics(s, upcoming_from=dt.date(2027, 1, 12))] == [world.clinic, march.id]
        assert [c.id for c in clinics.list_clinics(s, upcoming_from=dt.date(2027, 1, 13))] == [march.id]
        clinics.cancel_clinic_event(s, march.id, expected_version=1)  # type: ignore[arg-type]
    with world.db.session() as s:
        assert [c.id for c in clinics.list_clinics(s, include_cancelled=False)] == [world.clinic]
        assert [c.id for c in clinics.upcoming_clinics(s)] == [world.clinic, march.id]
        with pytest.raises(ValidationError, match="cancelled"):
            invitations.invite(s, march.id, world.pip)  # type: ignore[arg-type]
    with world.db.session() as s:
        assert s.exec(select(sa.func.count()).select_from(Service)).one() == 1  # one service, made on first use
    actions = [e.action for e in events(world.db, "clinicevent") if e.entity_id == str(march.id)]
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE]


def test_clinic_form_errors(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        clinics.parse_clinic_form({"name": "", "start_date": "31/02/2027", "days": "9", "day_start": "17:00",
                                   "day_end": "09:00"})  # fmt: skip
    assert set(exc.value.errors) == {"name", "start_date", "days", "day_end"}
    with pytest.raises(ValidationError, match="end after it starts"), world.db.session() as s:
        clinics.create_clinic_event(
            s, {"name": "x", "start_date": CLINIC_DAY1, "day_start": dt.time(12), "day_end": dt.time(12)}
        )


def test_rooms_and_staffing(world: World) -> None:
    with world.db.session() as s:
        assert [r.name for r in clinics.list_rooms(s, world.clinic)] == ["Eye Clinic", "Room 2"]
        # The same room again is the venue's catalogue room, already in use: nothing added.
        assert clinics.add_room(s, world.clinic, "eye clinic ", "children's building").id == world.room_a
        assert len(clinics.list_rooms(s, world.clinic)) == 2
        with pytest.raises(ValidationError, match="not one of this clinic's days"):
            clinics.set_staffing(s, world.clinic, world.eye, dt.date(2027, 1, 13), dt.time(9), dt.time(12))
        with pytest.raises(ValidationError, match="after the start time"):
            clinics.set_staffing(s, world.clinic, world.eye, CLINIC_DAY1, dt.time(12), dt.time(9))
        first = clinics.set_staffing(s, world.clinic, world.eye, CLINIC_DAY1, dt.time(9), dt.time(12), world.room_a)
        replaced = clinics.set_staffing(s, world.clinic, world.eye, CLINIC_DAY1, dt.time(13), dt.time(17))
        assert replaced.id == first.id
    with world.db.session() as s:
        rows = clinics.list_staffing(s, world.clinic)
        assert [(st.start_time, st.end_time, st.room_id, p.id) for st, p in rows] == [
            (dt.time(13), dt.time(17), None, world.eye)
        ]


def test_attendance_with_travel_and_hotel_round_trip(world: World) -> None:
    form = {
        "travel_out_mode": "train",
        "travel_out_depart_date": "10/01/2027",
        "travel_out_depart_time": "14:30",
        "travel_out_arrive_date": "10/01/2027",
        "travel_out_arrive_time": "18:15",
        "travel_out_reference": "TRV12345",
        "travel_home_mode": "train",
        "travel_home_depart_date": "12/01/2027",
        "travel_home_depart_time": "17.30",
        "travel_home_arrive_date": "12/01/2027",
        "travel_home_arrive_time": "21:00",
        "hotel_name": "Cosy Kettle Hotel",
        "hotel_address": "1 Teapot Lane\nExampleton",
        "hotel_phone": "01632 960001",
        "hotel_check_in": "10/01/2027",
        "hotel_nights": "2",
        "family_instructions": "Come to reception at 08:45.",
        "internal_notes": "",
        "hotel_reference": "",
    }
    values = clinics.parse_travel_form(form, ZONE)
    assert values["travel_out_depart"] == dt.datetime(2027, 1, 10, 14, 30, tzinfo=dt.UTC)  # GMT in January
    with world.db.session() as s:
        attendance = invitations.invite(s, world.clinic, world.pip)
        with pytest.raises(ValidationError, match="already invited"):
            invitations.invite(s, world.clinic, world.pip)
        assert attendance.status is AttendanceStatus.INVITED
    with world.db.session() as s:
        view = clinics.attendances_for_clinic(s, world.clinic)[0]
        assert view.missing == ["travel", "hotel"]
        clinics.update_attendance(s, attendance.id, values, expected_version=1)  # type: ignore[arg-type]
        invitations.set_status(s, attendance.id, AttendanceStatus.CONFIRMED, expected_version=2)  # type: ignore[arg-type]
    with world.db.session() as s:
        saved = clinics.get_attendance(s, attendance.id)  # type: ignore[arg-type]
        assert saved.travel_booked and saved.hotel_booked and saved.status is AttendanceStatus.CONFIRMED
        assert saved.travel_home_depart == dt.datetime(2027, 1, 12, 17, 30, tzinfo=dt.UTC)
        assert saved.travel_home_depart.tzinfo is not None  # type: ignore[union-attr]
        assert clinics.attendances_for_clinic(s, world.clinic)[0].missing == []
        # The form shows exactly what was typed (times normalised to HH:MM).
        shown = clinics.travel_form_values(saved, ZONE)
        assert {k: shown[k] for k in form} == {**form, "travel_home_depart_time": "17:30"}
        assert [v.clinic.id for v in clinics.attendances_for_patient(s, world.pip)] == [world.clinic]
    log = [e for e in events(world.db, "clinicattendance")]
    assert [e.action for e in log] == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.UPDATE]
    assert json.loads(log[1].after)["travel_out_depart"] == "2027-01-10T14:30:00+00:00"


def test_travel_form_errors() -> None:
    with pytest.raises(ValidationError) as exc:
        clinics.parse_travel_form(
            {"travel_out_depart_date": "10/01/2027", "travel_out_depart_time": "18:00",
             "travel_out_arrive_date": "10/01/2027", "travel_out_arrive_time": "14:00",
             "travel_home_depart_date": "09/01/2027", "travel_home_depart_time": "12:00",
             "hotel_nights": "3", "hotel_phone": "+1 202 555 0100"},
            ZONE,
        )  # fmt: skip
    assert set(exc.value.errors) == {
        "travel_out_arrive_time", "travel_home_depart_time", "hotel_check_in", "hotel_phone"
    }  # fmt: skip


def test_summer_time_clinic_stays_at_nine_local(world: World) -> None:
    """Clocks go forward on 28 March 2027: 09:00 on the Monday after is 08:00 UTC, the Friday before 09:00 UTC."""
    # Friday to Monday: a clinic over a weekend is refused on create, so this one is only built, not saved.
    spring = ClinicEvent(service_id=1, name="Spring", start_date=dt.date(2027, 3, 26), days=4)
    before = appointments.parse_appointment_form({"day": "1", "start_time": "09:00"}, spring, ZONE)
    after = appointments.parse_appointment_form({"day": "29/03/2027", "start_time": "09:00"}, spring, ZONE)
    assert before["start"] == dt.datetime(2027, 3, 26, 9, 0, tzinfo=dt.UTC)
    assert after["start"] == dt.datetime(2027, 3, 29, 8, 0, tzinfo=dt.UTC)
    assert after["end"] - after["start"] == dt.timedelta(minutes=30)


# ------------------------------------------------------------------------------------------------------------
# Appointments: booking, double booking, moves, clashes
# ------------------------------------------------------------------------------------------------------------


def book(s: Session, w: World, **kwargs: object) -> Appointment:
    values: dict[str, object] = {
        "clinic_id": w.clinic,
        "patient_id": w.pip,
        "professional_ids": [w.eye],
        "start": local(CLINIC_DAY1, 10),
        "end": local(CLINIC_DAY1, 10, 45),
        "discipline": "ophthalmology",
        "room_id": w.room_a,
    }
    values.update(kwargs)
    return appointments.book_appointment(s, **values)  # type: ignore[arg-type]


def test_appointment_round_trip(world: World) -> None:
    with world.db.session() as s:
        eyes = book(s, world, family_instructions="Bring your glasses.", internal_notes="Staff only.")
        joint = book(s, world, professional_ids=[world.ear, world.nurse, world.ear], discipline="round table",
                     kind=AppointmentKind.ROUND_TABLE, start=local(CLINIC_DAY2, 15), end=local(CLINIC_DAY2, 16),
                     room_id=world.room_b)  # fmt: skip
    assert eyes.uid.endswith("@coordinator-tui") and eyes.uid != joint.uid
    with world.db.session() as s:
        views = appointments.for_clinic(s, world.clinic)
        assert [v.appointment.id for v in views] == [eyes.id, joint.id]
        assert views[0].professional_names == "Dr Ivo Fernsbury"
        assert {p.id for p in views[1].professionals} == {world.ear, world.nurse}  # duplicates folded
        assert views[0].room is not None and views[0].room.name == "Eye Clinic"
        assert views[0].appointment.start == dt.datetime(2027, 1, 11, 10, 0, tzinfo=dt.UTC)
        assert [v.appointment.id for v in appointments.for_clinic(s, world.clinic, day=CLINIC_DAY2)] == [joint.id]
        assert [v.appointment.id for v in appointments.for_patient(s, world.pip)] == [eyes.id, joint.id]
        assert [v.appointment.id for v in appointments.for_professional(s, world.ear)] == [joint.id]
        moved = appointments.move_appointment(
            s,
            eyes.id,
            start=local(CLINIC_DAY1, 11),
            end=local(CLINIC_DAY1, 11, 45),
            expected_version=1,  # type: ignore[arg-type]
        )
        assert (moved.version, moved.room_id) == (2, world.room_a)
        appointments.update_appointment(s, eyes.id, {"family_instructions": "Bring glasses."}, expected_version=2)  # type: ignore[arg-type]
        appointments.cancel_appointment(s, joint.id)  # type: ignore[arg-type]
    with world.db.session() as s:
        got = appointments.get_view(s, eyes.id)  # type: ignore[arg-type]
        assert got.appointment.start == local(CLINIC_DAY1, 11) and got.appointment.version == 3
        assert [v.appointment.id for v in appointments.for_clinic(s, world.clinic, include_inactive=False)] == [eyes.id]
        assert appointments.get_view(s, joint.id).appointment.status is AppointmentStatus.CANCELLED  # type: ignore[arg-type]
        appointments.delete_appointment(s, eyes.id)  # type: ignore[arg-type]
    with world.db.session() as s:
        assert s.get(Appointment, eyes.id) is None
        links = select(AppointmentProfessional).where(AppointmentProfessional.appointment_id == eyes.id)
        assert s.exec(links).all() == []
    log = [e for e in events(world.db) if e.entity in {"appointment", "appointmentprofessional"}]
    assert [(e.entity, e.action) for e in log if e.entity_id == str(eyes.id)] == [
        ("appointment", AuditAction.CREATE),
        ("appointment", AuditAction.UPDATE),
        ("appointment", AuditAction.UPDATE),
        ("appointment", AuditAction.DELETE),
    ]
    assert all(e.patient_id == world.pip for e in log if e.entity == "appointment")
    link_events = [e for e in log if e.entity == "appointmentprofessional"]
    assert len([e for e in link_events if e.action == AuditAction.CREATE]) == 3
    assert [e.entity_id for e in link_events if e.action == AuditAction.DELETE] == [f"{eyes.id}/{world.eye}"]


@pytest.mark.parametrize(
    ("second", "field", "message"),
    [
        # The same professional with another patient, overlapping by five minutes.
        ({"patient_id": "wren", "start": (10, 40), "end": (11, 0), "room_id": "room_b"}, "professionals",
         "professional is already booked at 11/01/2027 10:00–10:45"),
        # The same patient with another professional at the same time.
        ({"professional_ids": ["ear"], "discipline": "audiology", "room_id": "room_b"}, "start",
         "patient already has ophthalmology at 11/01/2027 10:00–10:45"),
        # The same room for another patient and professional.
        ({"patient_id": "wren", "professional_ids": ["ear"], "discipline": "audiology", "start": (10, 30),
          "end": (11, 30)}, "room", "room is already booked"),
        # A joint appointment sharing one of its professionals.
        ({"patient_id": "wren", "professional_ids": ["nurse", "eye"], "room_id": "room_b"}, "professionals",
         "already booked"),
    ],
)  # fmt: skip
def test_double_booking_is_refused(world: World, second: dict[str, object], field: str, message: str) -> None:
    with world.db.session() as s:
        first = book(s, world)
    resolved: dict[str, object] = {}
    for key, value in second.items():
        if key in {"start", "end"}:
            resolved[key] = local(CLINIC_DAY1, *value)  # type: ignore[misc]
        elif key == "professional_ids":
            resolved[key] = [getattr(world, name) for name in value]  # type: ignore[attr-defined]
        elif key in {"patient_id", "room_id"}:
            resolved[key] = getattr(world, value)  # type: ignore[arg-type]
        else:
            resolved[key] = value
    with pytest.raises(ValidationError) as exc, world.db.session() as s:
        book(s, world, **resolved)
    assert list(exc.value.errors) == [field]
    assert message in exc.value.errors[field]
    assert "Pip" not in str(exc.value) and "Applewhistle" not in str(exc.value)  # no patient data in messages
    with world.db.session() as s:
        assert [a.id for a in s.exec(select(Appointment)).all()] == [first.id]


def test_back_to_back_and_cancelled_are_not_double_bookings(world: World) -> None:
    with world.db.session() as s:
        first = book(s, world)
        book(s, world, patient_id=world.wren, start=local(CLINIC_DAY1, 10, 45), end=local(CLINIC_DAY1, 11, 30))
        appointments.cancel_appointment(s, first.id)  # type: ignore[arg-type]
        book(s, world, patient_id=world.wren, professional_ids=[world.eye], start=local(CLINIC_DAY1, 10),
             end=local(CLINIC_DAY1, 10, 45))  # fmt: skip
        assert appointments.find_clashes(s, world.clinic) == []


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        ((CLINIC_DAY1, 11), (CLINIC_DAY1, 10), "end", "must end after it starts"),
        ((CLINIC_DAY1, 11), (CLINIC_DAY1, 11), "end", "must end after it starts"),
        ((dt.date(2027, 1, 13), 10), (dt.date(2027, 1, 13), 11), "start", "one day of this clinic"),
        ((CLINIC_DAY1, 16), (CLINIC_DAY2, 9), "start", "one day of this clinic"),
    ],
)
def test_bad_times_are_refused(
    world: World, start: tuple[dt.date, int], end: tuple[dt.date, int], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as exc, world.db.session() as s:
        book(s, world, start=local(*start), end=local(*end))
    assert exc.value.errors[field].endswith(message) or message in exc.value.errors[field]
    # Even a deliberate clash cannot end before it starts.
    if field == "end":
        with pytest.raises(ValidationError, match="end after it starts"), world.db.session() as s:
            book(s, world, start=local(*start), end=local(*end), allow_clash=True)


def test_booking_checks_its_references(world: World) -> None:
    with world.db.session() as s:
        venues.add_venue(s, {"name": "Elsewhere Hospital"})
        other = clinics.create_clinic_event(
            s, {"name": "Other", "start_date": CLINIC_DAY1, "venue": "Elsewhere Hospital"}
        )
        other_room = clinics.add_room(s, other.id, "Elsewhere")  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="not one of this clinic's rooms"):
            book(s, world, room_id=other_room.id)
        with pytest.raises(ValidationError, match="at least one professional"):
            book(s, world, professional_ids=[])
        with pytest.raises(NotFoundError):
            book(s, world, professional_ids=[999])


def test_moving_into_a_double_booking_is_refused(world: World) -> None:
    with world.db.session() as s:
        first = book(s, world)
        second = book(s, world, patient_id=world.wren, start=local(CLINIC_DAY1, 11), end=local(CLINIC_DAY1, 11, 45))
    with pytest.raises(ValidationError, match="professional is already booked"), world.db.session() as s:
        appointments.move_appointment(s, second.id, start=local(CLINIC_DAY1, 10, 30), end=local(CLINIC_DAY1, 11, 15))  # type: ignore[arg-type]
    with world.db.session() as s:
        # Moving onto its own old slot is not a clash with itself.
        appointments.move_appointment(s, first.id, start=local(CLINIC_DAY1, 10, 15), end=local(CLINIC_DAY1, 11))  # type: ignore[arg-type]
        assert s.get(Appointment, second.id).start == local(CLINIC_DAY1, 11)  # type: ignore[union-attr]


def test_clash_detection_finds_each_kind(world: World) -> None:
    with world.db.session() as s:
        clinics.set_staffing(s, world.clinic, world.eye, CLINIC_DAY1, dt.time(9), dt.time(12))
        clinics.set_staffing(s, world.clinic, world.ear, CLINIC_DAY1, dt.time(9), dt.time(17))
        a = book(s, world)  # Pip, eye, room A, 10:00–10:45
        b = book(s, world, patient_id=world.wren, allow_clash=True, room_id=world.room_b)  # eye double-booked
        c = book(s, world, professional_ids=[world.ear], discipline="audiology", room_id=world.room_b,
                 start=local(CLINIC_DAY1, 10, 30), end=local(CLINIC_DAY1, 11), allow_clash=True)  # fmt: skip
        late = book(s, world, patient_id=world.wren, start=local(CLINIC_DAY1, 16, 45), end=local(CLINIC_DAY1, 17, 30),
                    professional_ids=[world.ear], discipline="audiology", room_id=None, allow_clash=True)  # fmt: skip
        off_shift = book(s, world, patient_id=world.wren, start=local(CLINIC_DAY2, 9), end=local(CLINIC_DAY2, 9, 30),
                         room_id=None)  # fmt: skip
        clashes = appointments.find_clashes(s, world.clinic)
    found = sorted((c_.kind.value, c_.appointment_ids) for c_ in clashes)
    assert found == sorted(
        [
            (ClashKind.PROFESSIONAL.value, (a.id, b.id)),
            (ClashKind.PATIENT.value, (a.id, c.id)),
            (ClashKind.ROOM.value, (b.id, c.id)),
            (ClashKind.OUTSIDE_HOURS.value, (late.id,)),
            (ClashKind.OUTSIDE_STAFFING.value, (late.id,)),  # audiology staffed until 17:00
            (ClashKind.OUTSIDE_STAFFING.value, (off_shift.id,)),  # ophthalmology not staffed on day 2
        ]
    )
    described = {(c_.kind, c_.appointment_ids): c_ for c_ in clashes}
    # Each clash names whose appointments clash (and, for a family in two places, the rooms).
    assert described[(ClashKind.PROFESSIONAL, (a.id, b.id))].description == (
        "Dr Ivo Fernsbury: Pip Applewhistle and Wren Bramblecombe, both ophthalmology 10:00–10:45"
    )
    assert described[(ClashKind.ROOM, (b.id, c.id))].description == (
        "Room 2: Wren Bramblecombe ophthalmology 10:00–10:45 and Pip Applewhistle audiology 10:30–11:00"
    )
    assert described[(ClashKind.PATIENT, (a.id, c.id))].description == (
        "Pip Applewhistle: ophthalmology 10:00–10:45 (Eye Clinic) and audiology 10:30–11:00 (Room 2)"
    )
    assert described[(ClashKind.PATIENT, (a.id, c.id))].day == CLINIC_DAY1
    assert described[(ClashKind.OUTSIDE_HOURS, (late.id,))].description == (
        "Wren Bramblecombe: audiology 16:45–17:30 is outside the clinic's 09:00–17:00"
    )
    assert described[(ClashKind.OUTSIDE_STAFFING, (late.id,))].description == (
        "Juno Gooseberry: Wren Bramblecombe, audiology 16:45–17:30 (09:00–17:00)"
    )
    assert described[(ClashKind.OUTSIDE_STAFFING, (off_shift.id,))].description.endswith("(not in clinic that day)")

    # Cancelling resolves them.
    with world.db.session() as s:
        for appointment in (b, c, late, off_shift):
            appointments.cancel_appointment(s, appointment.id)  # type: ignore[arg-type]
        assert appointments.find_clashes(s, world.clinic) == []


# The second appointment shares exactly one thing with the first (Pip, the ophthalmologist, room A, 10:00-10:45).
ONE_SHARED = {
    ClashKind.PROFESSIONAL: {"patient_id": "wren", "professional_ids": "eye", "room_id": "room_b"},
    ClashKind.PATIENT: {"patient_id": "pip", "professional_ids": "ear", "room_id": "room_b"},
    ClashKind.ROOM: {"patient_id": "wren", "professional_ids": "ear", "room_id": "room_a"},
}


@pytest.mark.parametrize("kind", list(ONE_SHARED), ids=lambda k: k.name.lower())
@pytest.mark.parametrize(
    ("start", "end", "clash"),
    [
        ((10, 44), (11, 30), True),  # starts a minute before the first ends
        ((9, 30), (10, 1), True),  # ends a minute after the first starts
        ((10, 45), (11, 30), False),  # starts as the first ends
        ((9, 30), (10, 0), False),  # ends as the first starts
    ],
    ids=["overlap-end", "overlap-start", "back-to-back-after", "back-to-back-before"],
)
def test_clash_detection_at_one_minute(
    world: World, kind: ClashKind, start: tuple[int, int], end: tuple[int, int], clash: bool
) -> None:
    """The clinic-day screen's clashes (detect_clashes, via find_clashes): one minute of overlap is a clash of
    the shared professional, patient or room; back to back is not."""
    with world.db.session() as s:
        first = book(s, world)
        values = {key: getattr(world, name) for key, name in ONE_SHARED[kind].items()}
        values["professional_ids"] = [values["professional_ids"]]
        second = book(
            s, world, **values, start=local(CLINIC_DAY1, *start), end=local(CLINIC_DAY1, *end), allow_clash=True
        )
        found = [(c.kind, set(c.appointment_ids)) for c in appointments.find_clashes(s, world.clinic)]
    assert found == ([(kind, {first.id, second.id})] if clash else [])


# ------------------------------------------------------------------------------------------------------------
# Audit log
# ------------------------------------------------------------------------------------------------------------


def test_audit_user_defaults_to_the_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    audit.set_current_user(None)
    monkeypatch.setattr(audit.getpass, "getuser", lambda: "os-user")
    assert audit.current_user() == "os-user"

    def broken() -> str:
        raise OSError("no user")

    monkeypatch.setattr(audit.getpass, "getuser", broken)
    assert audit.current_user() == "unknown"


def test_audit_event_rolls_back_with_a_failed_change(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as s:
        patients.create_patient(s, patient_values())
        raise RuntimeError("the screen crashed before commit")
    assert events(db) == []


def test_audit_history_newest_first(world: World) -> None:
    with world.db.session() as s:
        patients.update_patient(s, world.pip, {"school": "A"})
        contacts.create_contact(s, world.pip, {"name": "Morgan", "phone": "07700 900123"})
    with world.db.session() as s:
        history = audit.history(s, patient_id=world.pip)
        assert [(e.entity, e.action) for e in history] == [
            ("contact", AuditAction.CREATE),
            ("patient", AuditAction.UPDATE),
            ("patient", AuditAction.CREATE),
        ]
        assert [e.entity for e in audit.history(s, entity="room")] == ["room", "room"]


def test_naive_datetimes_are_refused(world: World, tmp_path: Path) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), world.db.session() as s:
        book(s, world, start=dt.datetime(2027, 1, 11, 10), end=dt.datetime(2027, 1, 11, 11), allow_clash=True)


def test_service_created_once_with_the_defaults(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The service row is created on first use, once; a settings file's service-wide values no longer create it
    (they are moved into it on the first open, ``tests/test_service_details.py``)."""
    settings = tmp_path / "settings.toml"
    settings.write_text('service_name = "Regional Rare Disease Hub"\ntimezone = "Europe/Belfast"\n', encoding="utf-8")
    monkeypatch.setenv("COORDINATOR_SETTINGS", str(settings))
    database = open_database(db_url)
    try:
        with database.session() as s:
            assert service.service_zone(s) == "Europe/London"  # read without creating the row
            assert s.exec(select(Service)).all() == []
            made = service.get_service(s)
            assert (made.name, made.timezone) == ("National Alström Syndrome Service", "Europe/London")
            assert service.get_service(s).id == made.id
            assert len(s.exec(select(Service)).all()) == 1
    finally:
        database.dispose()


def test_attendance_cascade_and_unique(world: World) -> None:
    with world.db.session() as s:
        invitations.invite(s, world.clinic, world.pip)
    with pytest.raises(sa.exc.IntegrityError), world.db.session() as s:
        s.add(ClinicAttendance(clinic_event_id=world.clinic, patient_id=world.pip))
        s.flush()
    with world.db.session() as s:
        patients.archive_patient(s, world.wren)
        with pytest.raises(ValidationError, match="archived"):
            invitations.invite(s, world.clinic, world.wren)


def test_professional_model_defaults() -> None:
    pro = Professional(given_name="A", family_name="B", discipline="renal")
    assert (pro.setting, pro.archived, pro.version, pro.display_name) == (ProfessionalSetting.CENTRE, False, 1, "A B")
