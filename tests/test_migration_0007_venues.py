"""Migration 0007: per-clinic rooms become the venue catalogue, and no booking loses its room.

Data is written at revision 0006 (each clinic with its own rooms, venue as free text), then the database is opened
(upgraded to head). Every appointment and staffing row must keep a room with the same name and building; rooms with
the same building and name at one venue become one; each clinic is linked to its rooms; the downgrade gives every
clinic its own rooms back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa

from coordinator_tui.db import Database, current_revision, downgrade, head_revision, open_database, upgrade
from tests.postgres_server import both_databases

pytestmark = both_databases

UNNAMED = "Venue not named (rooms of older clinics)"


@contextlib.contextmanager
def opened(url: str) -> Iterator[Database]:
    database = open_database(url)
    try:
        yield database
    finally:
        database.dispose()


def insert(conn: sa.Connection, table: str, **values: object) -> int:
    columns = ", ".join(f'"{c}"' for c in values)
    marks = ", ".join(f":{c}" for c in values)
    return conn.execute(
        sa.text(f'INSERT INTO "{table}" ({columns}) VALUES ({marks}) RETURNING id'), values
    ).scalar_one()


def clinic(conn: sa.Connection, service: int, name: str, venue: str, start: str) -> int:
    return insert(
        conn, "clinicevent", service_id=service, name=name, venue=venue, start_date=start, days=2,
        day_start="09:00:00", day_end="17:00:00", status="PLANNED", series_id="", version=1,
    )  # fmt: skip


def appointment(conn: sa.Connection, clinic_id: int, patient: int, room: int | None, uid: str) -> int:
    return insert(
        conn, "appointment", uid=uid, clinic_event_id=clinic_id, patient_id=patient, discipline="cardiology",
        kind="CONSULTATION", start="2027-01-11 10:00:00", end="2027-01-11 10:30:00", room_id=room, status="BOOKED",
        fasting=False, pinned=False, family_instructions="", internal_notes="", version=1,
    )  # fmt: skip


def fill_at_0006(conn: sa.Connection) -> None:
    service = insert(conn, "service", name="Test Alström Service", timezone="Europe/London", uses_round_table=True,
                     version=1)  # fmt: skip
    patient = insert(
        conn, "patient", nhs_number="9434765919", hospital_number="EXH1", given_name="Testpatient0",
        family_name="Example", date_of_birth="2012-05-17", condition="", school="", has_ehcp=False,
        large_print=False, bsl_interpreter=False, wheelchair=False, interpreter_language="",
        review_interval_months=12, registered_on="2020-01-01", internal_notes="", archived=False, version=1,
    )  # fmt: skip
    pro = insert(
        conn, "professional", title="Dr", given_name="Quinn", family_name="Gooseberry", discipline="cardiology",
        organisation="", setting="CENTRE", phone="", email="", archived=False, version=1,
    )  # fmt: skip
    first = clinic(conn, service, "January", "Test Hospital", "2027-01-11")
    second = clinic(conn, service, "March", " test hospital ", "2027-03-08")  # the same venue, typed differently
    third = clinic(conn, service, "May", "", "2027-05-10")  # no venue text, but rooms
    clinic(conn, service, "July", "", "2027-07-12")  # no venue, no rooms
    rooms = {}
    for clinic_id, name, building in [
        (first, "Room 1", "Outpatients"), (first, "Eye Clinic", "Children's Building"),
        (second, "Room 1", "Outpatients"), (second, "Room 1", "Children's Building"),
        (third, "Room 1", "Outpatients"),
    ]:  # fmt: skip
        rooms[(clinic_id, name, building)] = insert(
            conn, "room", clinic_event_id=clinic_id, name=name, building=building
        )
    for n, ((clinic_id, _, _), room_id) in enumerate(rooms.items()):
        appointment(conn, clinic_id, patient, room_id, f"uid-{n}")
    appointment(conn, first, patient, None, "uid-no-room")
    for day, (clinic_id, name, building) in [("2027-01-11", (first, "Eye Clinic", "Children's Building")),
                                               ("2027-03-08", (second, "Room 1", "Outpatients"))]:  # fmt: skip
        insert(conn, "clinicstaffing", clinic_event_id=clinic_id, professional_id=pro, day=day,
               start_time="09:00:00", end_time="17:00:00", room_id=rooms[(clinic_id, name, building)])  # fmt: skip


BOOKED_ROOMS = {
    "appointment": "SELECT a.uid, a.clinic_event_id, r.name, r.building FROM appointment a "
    "LEFT JOIN room r ON r.id = a.room_id ORDER BY a.uid",
    "clinicstaffing": "SELECT s.id, s.clinic_event_id, r.name, r.building FROM clinicstaffing s "
    "LEFT JOIN room r ON r.id = s.room_id ORDER BY s.id",
}


def booked_rooms(conn: sa.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {table: [tuple(row) for row in conn.execute(sa.text(query))] for table, query in BOOKED_ROOMS.items()}


def test_0007_turns_clinic_rooms_into_the_catalogue_and_keeps_every_booking(db_url: str) -> None:
    with opened(db_url) as database:
        downgrade(database, "0006")
        with database.engine.begin() as conn:
            fill_at_0006(conn)
            before = booked_rooms(conn)
    with opened(db_url) as database, database.engine.connect() as conn:  # upgraded on opening
        assert current_revision(conn) == head_revision()
        assert booked_rooms(conn) == before
        venues = dict(conn.execute(sa.text("SELECT name, id FROM venue")).all())
        assert set(venues) == {"Test Hospital", UNNAMED}
        clinics = conn.execute(sa.text("SELECT name, venue, venue_id FROM clinicevent ORDER BY start_date")).all()
        assert [tuple(c) for c in clinics] == [
            ("January", "Test Hospital", venues["Test Hospital"]),
            ("March", "Test Hospital", venues["Test Hospital"]),  # the name kept in step with the venue
            ("May", "", venues[UNNAMED]),
            ("July", "", None),
        ]
        rooms = conn.execute(sa.text("SELECT v.name, r.building, r.name FROM room r JOIN venue v ON v.id = r.venue_id"))
        assert sorted(tuple(r) for r in rooms) == [
            ("Test Hospital", "Children's Building", "Eye Clinic"),
            ("Test Hospital", "Children's Building", "Room 1"),
            ("Test Hospital", "Outpatients", "Room 1"),  # one room for January's and March's Room 1
            (UNNAMED, "Outpatients", "Room 1"),
        ]
        links = conn.execute(
            sa.text(
                "SELECT c.name, r.building, r.name FROM clinicroom l JOIN clinicevent c ON c.id = l.clinic_event_id "
                "JOIN room r ON r.id = l.room_id"
            )
        )
        assert sorted(tuple(r) for r in links) == [
            ("January", "Children's Building", "Eye Clinic"),
            ("January", "Outpatients", "Room 1"),
            ("March", "Children's Building", "Room 1"),
            ("March", "Outpatients", "Room 1"),
            ("May", "Outpatients", "Room 1"),
        ]
        assert conn.execute(sa.text("SELECT count(*) FROM appointment")).scalar() == 6


def test_0007_downgrade_gives_each_clinic_its_rooms_back(db_url: str) -> None:
    with opened(db_url) as database:
        downgrade(database, "0006")
        with database.engine.begin() as conn:
            fill_at_0006(conn)
            before = booked_rooms(conn)
        upgrade(database)
        downgrade(database, "0006")
        with database.engine.connect() as conn:
            assert booked_rooms(conn) == before
            per_clinic = conn.execute(sa.text("SELECT clinic_event_id, building, name FROM room")).all()
            assert len(per_clinic) == 5
            assert "venue" not in set(sa.inspect(conn).get_table_names())
        upgrade(database)
        with database.engine.connect() as conn:
            assert booked_rooms(conn) == before


def test_0007_on_a_copy_of_the_demo_database_every_appointment_keeps_its_room(db_url: str) -> None:
    """The demo data as revision 0006 held it (each clinic with its own copies of the rooms, venue as text), upgraded:
    every appointment and staffing row keeps a room of the same name and building, the copies become one catalogue
    room each, and no row is lost."""
    from coordinator_tui.services.demo_data import load_demo

    with opened(db_url) as database:
        with database.session() as session:
            load_demo(session, patients=12, seed=7)
        downgrade(database, "0006")  # each clinic gets its own rooms back, as before the catalogue
        with database.engine.connect() as conn:
            before = booked_rooms(conn)
            counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in COUNTED}
            per_clinic_rooms = conn.execute(sa.text("SELECT count(*) FROM room")).scalar()
            clinics = conn.execute(sa.text("SELECT count(*) FROM clinicevent")).scalar()
    assert before["appointment"] and all(name for _, _, name, _ in before["appointment"])
    assert before["clinicstaffing"] and all(name for _, _, name, _ in before["clinicstaffing"])
    with opened(db_url) as database, database.engine.connect() as conn:  # upgraded to head on opening
        assert current_revision(conn) == head_revision()
        assert booked_rooms(conn) == before
        assert {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in COUNTED} == counts
        catalogue_rooms = conn.execute(sa.text("SELECT count(*) FROM room")).scalar()
        assert catalogue_rooms * clinics == per_clinic_rooms  # every clinic had the same rooms: one copy each now
        assert conn.execute(sa.text("SELECT count(*) FROM clinicroom")).scalar() == per_clinic_rooms
        assert conn.execute(sa.text("SELECT count(*) FROM venue")).scalar() == 1
        unlinked = conn.execute(
            sa.text(
                "SELECT count(*) FROM appointment a WHERE a.room_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                "clinicroom l WHERE l.clinic_event_id = a.clinic_event_id AND l.room_id = a.room_id)"
            )
        ).scalar()
        assert unlinked == 0  # each booking's room is one of its clinic's rooms


COUNTED = ("appointment", "clinicstaffing", "appointmentprofessional", "clinicattendance", "clinicevent", "auditevent")
