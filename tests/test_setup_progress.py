"""Setting up a service from an empty database: each step counted from what the database holds, in order."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from coordinator_tui.db import Database
from coordinator_tui.models import ClinicEvent, Professional, Room, Service, Venue
from coordinator_tui.services.people import patients, professionals
from coordinator_tui.services.safety.records import create_record
from coordinator_tui.services.service_details import save_service_details, service_details
from coordinator_tui.services.setup_progress import SetupProgress, setup_progress
from tests.postgres_server import both_databases
from tests.test_services import patient_values

pytestmark = both_databases

STEPS = ["Service details", "Professionals", "Venues and rooms", "The clinic plan", "The first patient"]


def done(progress: SetupProgress) -> dict[str, bool]:
    return {step.title: step.done for step in progress.steps}


def add_professional(db: Database, **extra: object) -> Professional:
    values = {"given_name": "Quinn", "family_name": "Gooseberry", "discipline": "cardiology", "title": "Dr", **extra}
    with db.session() as session:
        return professionals.create_professional(session, values)


def create_service(db: Database) -> Service:
    """The service row with its name only, as the app first creates it."""
    with db.session() as session:
        return create_record(session, Service(name="National Alström Syndrome Service"))


def fill_service_details(db: Database) -> None:
    """As the Service screen saves them (the name counts as filled in once saved there)."""
    details = {"short_name": "Alström clinic", "phone": "01632 960000", "address": "1 Example Road, Exampleton"}
    save_service_details(db, details, service_details(db).version)


def _services(db: Database) -> list[Service]:
    with db.session() as session:
        return list(session.exec(select(Service)).all())


def add_venue_with_room(db: Database, name: str = "Exampleton Children's Hospital") -> None:
    service = next(iter(_services(db)), None) or create_service(db)
    with db.session() as session:
        venue = create_record(session, Venue(service_id=int(service.id or 0), name=name))
        create_record(session, Room(venue_id=int(venue.id or 0), name="Room 1", building="Main building"))


def add_clinic(db: Database) -> None:
    service = next(iter(_services(db)), None) or create_service(db)
    with db.session() as session:
        create_record(
            session, ClinicEvent(service_id=int(service.id or 0), name="Test clinic", start_date=dt.date(2027, 1, 11))
        )


def test_an_empty_database_has_every_step_to_do_in_order(db: Database) -> None:
    progress = setup_progress(db)
    assert [step.title for step in progress.steps] == STEPS
    assert not any(done(progress).values())
    assert progress.next_step is not None and progress.next_step.title == "Service details"
    assert progress.patients == 0
    assert progress.location == db.location  # the panel names the database: a mistyped path is noticed
    assert [(step.screen, step.then) for step in progress.steps] == [
        ("Service", ""),
        ("Professionals", "a"),
        ("Venues", ""),
        ("Clinic days", "p"),
        ("Patients", "ctrl+n"),
    ]
    assert all(step.progress.startswith("none yet") or "0 of 3" in step.progress for step in progress.steps)


def test_reading_the_progress_writes_nothing(db: Database) -> None:
    """The service row is not created by looking (a read-only session may ask)."""
    setup_progress(db)
    progress = setup_progress(db)
    assert progress.steps[0].progress.startswith("0 of 3")


def test_service_details_are_done_once_every_family_facing_detail_is_filled_in(db: Database) -> None:
    create_service(db)
    step = setup_progress(db).steps[0]
    assert not step.done
    # The Service screen's own list of what is to fill in: a name counts once saved there (or moved in from
    # settings); the short name is not asked for, families see the name when it is blank.
    assert step.progress == "0 of 3 filled in (to do: name, phone for the day, address)"
    fill_service_details(db)
    step = setup_progress(db).steps[0]
    assert step.done and step.progress == "all filled in"


def test_professionals_count_those_not_archived(db: Database) -> None:
    quinn = add_professional(db)
    add_professional(db, given_name="Bea", family_name="Hazelbrook", discipline="specialist nursing", title="")
    step = setup_progress(db).steps[1]
    assert step.done and step.progress == "2 professionals"
    with db.session() as session:
        professionals.archive_professional(session, int(quinn.id or 0))
        professionals.archive_professional(session, int(professionals.list_professionals(session)[0].id or 0))
    step = setup_progress(db).steps[1]
    assert not step.done and step.progress == "none yet"


def test_each_step_is_done_as_its_records_exist_and_the_next_step_follows(db: Database) -> None:
    fill_service_details(db)
    assert setup_progress(db).next_step.title == "Professionals"  # type: ignore[union-attr]
    add_professional(db)
    assert setup_progress(db).next_step.title == "Venues and rooms"  # type: ignore[union-attr]
    add_venue_with_room(db)
    assert setup_progress(db).next_step.title == "The clinic plan"  # type: ignore[union-attr]
    add_clinic(db)
    progress = setup_progress(db)
    assert done(progress) == dict.fromkeys(STEPS[:4], True) | {"The first patient": False}
    assert progress.steps[3].progress == "1 clinic"
    with db.session() as session:
        patients.create_patient(session, patient_values())
    progress = setup_progress(db)
    assert progress.all_done and progress.next_step is None
    assert progress.patients == 1 and progress.steps[4].progress == "1 patient"


def test_a_venue_counts_once_it_has_a_room(db: Database) -> None:
    service = create_service(db)
    with db.session() as session:
        create_record(session, Venue(service_id=int(service.id or 0), name="Exampleton Children's Hospital"))
    step = setup_progress(db).steps[2]
    assert not step.done and step.progress == "1 venue, no rooms yet"
    add_venue_with_room(db, "Puddleby Adult Centre")  # a second venue, with a room
    step = setup_progress(db).steps[2]
    assert step.done and step.progress == "2 venues, 1 room"


def test_archived_patients_do_not_count(db: Database) -> None:
    with db.session() as session:
        patient = patients.create_patient(session, patient_values())
        patients.archive_patient(session, int(patient.id or 0))
    progress = setup_progress(db)
    assert progress.patients == 0 and not progress.steps[4].done
