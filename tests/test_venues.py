"""The venue catalogue: venues, their buildings' rooms, walking times between buildings, a clinic's venue and rooms.

Every operation is audited and refuses a stale save; names are unique within their venue (case and spaces ignored);
a clinic's rooms come from its own venue; the scheduler and the checker use a venue's own walking time for a pair of
buildings and the service's default for any other pair.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlmodel import Session, col, select

from coordinator_tui.clinic_time import local_to_utc
from coordinator_tui.db import Database
from coordinator_tui.models import AuditAction, AuditEvent, ClinicEvent, Professional, Venue
from coordinator_tui.services.clinics import appointments, clinic_planning, clinics, venues
from coordinator_tui.services.clinics.scheduling import (
    Instance,
    PatientSpec,
    ProfessionalSpec,
    Request,
    RoomSpec,
    ScheduledItem,
    StaffDay,
)
from coordinator_tui.services.clinics.timetable_checker import check_timetable
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.people import patients
from coordinator_tui.services.safety.records import create_record
from coordinator_tui.validation import ValidationError
from tests.postgres_server import both_databases

pytestmark = both_databases

CLINIC_DAY = dt.date(2027, 1, 11)  # after the fixed clock's today (25/11/2026)


def audited(session: Session, entity: str) -> list[AuditAction]:
    return [
        e.action
        for e in session.exec(select(AuditEvent).where(AuditEvent.entity == entity).order_by(col(AuditEvent.id))).all()
    ]


@dataclass
class Site:
    venue: int
    eye: int  # Eye Clinic, Children's Building
    room1: int  # Room 1, Outpatients
    clinic: int


@pytest.fixture
def site(db: Database) -> Iterator[Site]:
    with db.session() as s:
        venue = venues.add_venue(s, {"name": "Exampleton Children's Hospital", "address": "1 Example Road"})
        assert venue.id is not None
        eye = venues.add_room(s, venue.id, {"name": "Eye Clinic", "building": "Children's Building"})
        room1 = venues.add_room(s, venue.id, {"name": "Room 1", "building": "Outpatients"})
        clinic = clinics.create_clinic_event(
            s, {"name": "Combined clinic", "venue": "exampleton children's hospital", "start_date": CLINIC_DAY}
        )
        site = Site(venue.id, eye.id, room1.id, clinic.id)  # type: ignore[arg-type]
    yield site


# ------------------------------------------------------------------------------------------------------------
# Venues
# ------------------------------------------------------------------------------------------------------------


def test_a_venue_is_added_audited_and_its_name_is_unique(session: Session) -> None:
    venue = venues.add_venue(session, {"name": "  Test Hospital ", "address": "1 Test Road\nTestville"})
    assert (venue.name, venue.address, venue.archived) == ("Test Hospital", "1 Test Road\nTestville", False)
    assert audited(session, "venue") == [AuditAction.CREATE]
    with pytest.raises(ValidationError, match="already a venue called Test Hospital") as exc:
        venues.add_venue(session, {"name": "test hospital"})
    assert set(exc.value.errors) == {"name"}
    with pytest.raises(ValidationError) as blank:
        venues.add_venue(session, {"name": "  "})
    assert set(blank.value.errors) == {"name"}
    assert len(session.exec(select(Venue)).all()) == 1


def test_renaming_a_venue_renames_its_clinics_venue_and_refuses_a_stale_save(db: Database, site: Site) -> None:
    with db.session() as s:
        assert clinics.get_clinic(s, site.clinic).venue == "Exampleton Children's Hospital"
        venues.edit_venue(s, site.venue, {"name": "Exampleton Hospital", "address": ""}, expected_version=1)
        assert clinics.get_clinic(s, site.clinic).venue == "Exampleton Hospital"
    with pytest.raises(ConcurrentEditError), db.session() as s:
        venues.edit_venue(s, site.venue, {"name": "Elsewhere"}, expected_version=1)
    with db.session() as s:
        assert s.get(Venue, site.venue).name == "Exampleton Hospital"  # type: ignore[union-attr]


def test_a_venue_with_clinics_to_come_is_not_archived(db: Database, site: Site) -> None:
    with pytest.raises(ValidationError, match="1 clinic"), db.session() as s:
        venues.archive_venue(s, site.venue)
    with db.session() as s:
        clinics.cancel_clinic_event(s, site.clinic)
        archived = venues.archive_venue(s, site.venue, expected_version=1)
        assert archived.archived
        assert [v.venue.name for v in venues.load_catalogue(s).venues] == []
        assert venues.load_catalogue(s).archived_hidden == 1
        with pytest.raises(ValidationError, match="archived: restore it"):
            venues.add_venue(s, {"name": "Exampleton Children's Hospital"})
        with pytest.raises(ValidationError, match="archived"):
            venues.add_room(s, site.venue, {"name": "Room 9"})
        assert not venues.archive_venue(s, site.venue, archived=False).archived


# ------------------------------------------------------------------------------------------------------------
# Rooms
# ------------------------------------------------------------------------------------------------------------


def test_rooms_are_unique_by_building_and_name_within_a_venue(db: Database, site: Site) -> None:
    with db.session() as s:
        with pytest.raises(ValidationError, match="already has Eye Clinic in Children's Building") as exc:
            venues.add_room(s, site.venue, {"name": " eye clinic", "building": "CHILDREN'S BUILDING"})
        assert set(exc.value.errors) == {"name"}
        other_building = venues.add_room(s, site.venue, {"name": "Eye Clinic", "building": "outpatients"})
        assert other_building.building == "Outpatients"  # the building as the venue already spells it
        other = venues.add_venue(s, {"name": "Second Test Hospital"})
        assert venues.add_room(s, other.id, {"name": "Eye Clinic", "building": "Children's Building"}).id  # type: ignore[arg-type]
        with pytest.raises(ValidationError) as blank:
            venues.add_room(s, site.venue, {"name": "", "building": "Outpatients"})
        assert set(blank.value.errors) == {"name"}
        assert audited(s, "room").count(AuditAction.CREATE) == 4


def test_editing_a_room_refuses_a_clash_and_a_stale_save(db: Database, site: Site) -> None:
    with db.session() as s:
        with pytest.raises(ValidationError, match="already has Room 1"):
            venues.edit_room(s, site.eye, {"name": "Room 1", "building": "Outpatients"}, expected_version=1)
        moved = venues.edit_room(s, site.eye, {"name": "Eye Clinic", "building": "Main Block"}, expected_version=1)
        assert (moved.building, moved.version) == ("Main Block", 2)
    with pytest.raises(ConcurrentEditError), db.session() as s:
        venues.edit_room(s, site.eye, {"name": "Eye Room"}, expected_version=1)


def book(s: Session, site: Site, room_id: int) -> None:
    patient = patients.create_patient(
        s,
        {
            "nhs_number": "9434765919",
            "hospital_number": "EXH1",
            "given_name": "Testpatient0",
            "family_name": "Example",
            "date_of_birth": dt.date(2012, 5, 17),
        },
    )
    doctor = create_record(s, Professional(title="Dr", given_name="Quinn", family_name="Gooseberry", discipline="x"))
    appointments.book_appointment(
        s,
        clinic_id=site.clinic,
        patient_id=patient.id,
        discipline="ophthalmology",
        start=local_to_utc(CLINIC_DAY, dt.time(10), "Europe/London"),
        end=local_to_utc(CLINIC_DAY, dt.time(10, 30), "Europe/London"),
        professional_ids=[doctor.id],
        room_id=room_id,
    )


def test_a_room_booked_from_today_on_is_not_archived(db: Database, site: Site) -> None:
    with db.session() as s:
        book(s, site, site.eye)
    with pytest.raises(ValidationError, match="1 appointment"), db.session() as s:
        venues.archive_room(s, site.eye, expected_version=1)
    with db.session() as s:
        assert venues.archive_room(s, site.room1, expected_version=1).archived
        assert [r.name for r in venues.load_catalogue(s).venues[0].rooms] == ["Eye Clinic"]


# ------------------------------------------------------------------------------------------------------------
# Walking time between two buildings
# ------------------------------------------------------------------------------------------------------------


def test_walking_time_between_two_buildings_set_changed_and_back_to_the_default(db: Database, site: Site) -> None:
    pair = {"first": "outpatients", "second": "Children's Building"}
    with db.session() as s:
        walk = venues.set_walking_time(s, site.venue, {**pair, "minutes": "25"}, known=True, expected_version=None)
        assert walk is not None
        assert (walk.first_building, walk.second_building, walk.minutes) == ("Children's Building", "Outpatients", 25)
        entry = venues.load_catalogue(s).venues[0]
        assert entry.minutes_between("Outpatients", "Children's Building") == 25
        assert entry.minutes_between("Outpatients", "Outpatients") == 0
        assert entry.minutes_between("Outpatients", "Elsewhere") == 10  # the service's default
    with pytest.raises(ConcurrentEditError), db.session() as s:  # another coordinator set it meanwhile
        venues.set_walking_time(s, site.venue, {**pair, "minutes": "5"}, known=True, expected_version=None)
    with db.session() as s:
        changed = venues.set_walking_time(s, site.venue, {**pair, "minutes": "15"}, known=True, expected_version=1)
        assert changed is not None and changed.minutes == 15
        assert venues.set_walking_time(s, site.venue, {**pair, "minutes": ""}, known=True, expected_version=2) is None
        assert venues.load_catalogue(s).venues[0].minutes_between("Outpatients", "Children's Building") == 10
        assert audited(s, "buildingwalk") == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"first": "Outpatients", "second": "Tower", "minutes": "5"}, "second", "no building called Tower"),
        ({"first": "Outpatients", "second": "OUTPATIENTS", "minutes": "5"}, "second", "two different buildings"),
        ({"first": "Outpatients", "second": "Children's Building", "minutes": "121"}, "minutes", "between 0 and 120"),
        ({"first": "Outpatients", "second": "Children's Building", "minutes": "ten"}, "minutes", "whole number"),
        ({"first": "", "second": "Children's Building", "minutes": "5"}, "first", ""),
    ],
)
def test_walking_time_refusals(db: Database, site: Site, form: dict[str, str], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc, db.session() as s:
        venues.set_walking_time(s, site.venue, form)
    assert field in exc.value.errors and message in exc.value.errors[field]


# ------------------------------------------------------------------------------------------------------------
# A clinic's venue and rooms
# ------------------------------------------------------------------------------------------------------------


def test_a_clinic_uses_its_venues_rooms_and_refuses_another_venues(db: Database, site: Site) -> None:
    with db.session() as s:
        clinic = clinics.get_clinic(s, site.clinic)
        assert clinic.venue_id == site.venue
        assert [r.id for r in venues.clinic_rooms(s, site.clinic)] == [site.eye, site.room1]
        other = venues.add_venue(s, {"name": "Second Test Hospital"})
        elsewhere = venues.add_room(s, other.id, {"name": "Room 1", "building": "Outpatients"})  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="not a room of this clinic's venue"):
            venues.set_clinic_rooms(s, site.clinic, [site.eye, elsewhere.id])  # type: ignore[list-item]
        read_version = clinic.version
        rooms = venues.set_clinic_rooms(s, site.clinic, [site.eye], expected_version=read_version)
        assert [r.name for r in rooms] == ["Eye Clinic"]
        with pytest.raises(ValidationError, match="not one of this clinic's rooms"):
            venues.room_of_clinic(s, clinic, site.room1)
    with pytest.raises(ConcurrentEditError), db.session() as s:
        venues.set_clinic_rooms(s, site.clinic, [site.eye, site.room1], expected_version=read_version)


def test_a_clinics_booked_room_stays_and_its_venue_is_not_changed_under_its_bookings(db: Database, site: Site) -> None:
    with db.session() as s:
        book(s, site, site.eye)
        other = venues.add_venue(s, {"name": "Second Test Hospital"})
        with pytest.raises(ValidationError, match="bookings or staffing in Eye Clinic"):
            venues.set_clinic_rooms(s, site.clinic, [site.room1])
        with pytest.raises(ValidationError, match="move them first"):
            venues.set_clinic_venue(s, site.clinic, other.id)


def test_a_clinics_venue_is_chosen_from_the_catalogue(db: Database, site: Site) -> None:
    with db.session() as s:
        with pytest.raises(ValidationError, match="no venue called Nowhere Hall in the catalogue") as exc:
            clinics.create_clinic_event(s, {"name": "Other", "venue": "Nowhere Hall", "start_date": CLINIC_DAY})
        assert set(exc.value.errors) == {"venue"}
        plain = clinics.create_clinic_event(s, {"name": "No venue yet", "start_date": CLINIC_DAY})
        assert (plain.venue_id, plain.venue, venues.clinic_rooms(s, plain.id)) == (None, "", [])  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="choose the clinic's venue"):
            clinics.add_room(s, plain.id, "Room 1", "Outpatients")  # type: ignore[arg-type]
        moved = clinics.update_clinic_event(s, plain.id, {"venue": "Exampleton children's hospital"})  # type: ignore[arg-type]
        assert moved.venue == "Exampleton Children's Hospital"
        assert len(venues.clinic_rooms(s, plain.id)) == 2  # type: ignore[arg-type]
        catalogue = venues.load_catalogue(s)
        assert catalogue.venues[0].clinics == 2


# ------------------------------------------------------------------------------------------------------------
# Walking times in the scheduler and the checker
# ------------------------------------------------------------------------------------------------------------


def test_the_clinics_instance_carries_the_venues_walking_times(db: Database, site: Site) -> None:
    with db.session() as s:
        venues.set_walking_time(
            s, site.venue, {"first": "Outpatients", "second": "Children's Building", "minutes": "25"}
        )
        instance = clinic_planning.load_instance(s, site.clinic, patients=False)
    assert instance.walks == {("Children's Building", "Outpatients"): 25}
    assert instance.walk_minutes("Outpatients", "Children's Building") == 25
    assert instance.walk_minutes("Outpatients", "Tower") == instance.transfer_minutes == 10
    assert instance.least_walk_minutes == 10


def _walking_instance(walks: dict[tuple[str, str], int]) -> tuple[Instance, list[ScheduledItem]]:
    """One family seen in building A at 10:00-10:30 then in building B at 10:45 (15 minutes to walk)."""
    instance = Instance(
        professionals={1: ProfessionalSpec(1, "Test One", "audiology"), 2: ProfessionalSpec(2, "Test Two", "renal")},
        staffing=[StaffDay(1, 0, 9 * 60, 17 * 60), StaffDay(2, 0, 9 * 60, 17 * 60)],
        rooms={1: RoomSpec(1, "Room 1", "A"), 2: RoomSpec(2, "Room 2", "B")},
        patients={1: PatientSpec(1, "Test Family")},
        requests=[Request("a", 1, "audiology", 30, (1,), room_id=1), Request("b", 1, "renal", 30, (2,), room_id=2)],
        days=1,
        transfer_minutes=10,
        walks=walks,
    )
    items = [
        ScheduledItem("a", 1, "audiology", "consultation", 0, 600, 630, (1,), 1),
        ScheduledItem("b", 1, "renal", "consultation", 0, 645, 675, (2,), 2),
    ]
    return instance, items


def test_the_checker_uses_the_venues_walking_time_for_the_pair() -> None:
    instance, items = _walking_instance({})
    assert "transfer" not in {v.rule for v in check_timetable(instance, items)}  # 15 minutes >= the default 10
    instance, items = _walking_instance({("A", "B"): 20})
    transfers = [v for v in check_timetable(instance, items) if v.rule == "transfer"]
    assert len(transfers) == 1 and transfers[0].minutes == 20 and "the walk takes 20" in transfers[0].message


def test_the_scheduler_leaves_the_venues_walking_time_between_buildings() -> None:
    from coordinator_tui.services.clinics.scheduling import greedy_timetable, solve

    instance, _ = _walking_instance({("A", "B"): 40})
    result = solve(instance, time_limit=5.0, deterministic=True)
    for items in (result.scheduled, greedy_timetable(instance)):
        assert len(items) == 2
        first, second = sorted(items, key=lambda it: it.start)
        assert second.start - first.end >= 40
        assert not check_timetable(instance, items)


def test_a_clinic_venue_row_keeps_its_name_in_step(session: Session) -> None:
    venue = venues.add_venue(session, {"name": "Test Hospital"})
    clinic = clinics.create_clinic_event(session, {"name": "c", "venue": "Test Hospital", "start_date": CLINIC_DAY})
    venues.edit_venue(session, venue.id, {"name": "Renamed Hospital"})  # type: ignore[arg-type]
    assert session.get(ClinicEvent, clinic.id).venue == "Renamed Hospital"  # type: ignore[union-attr]
