"""Migration 0010: what was sent before it is filled in from the records, and already-sent travel and hotel events
keep their UIDs (so a family's calendar updates them in place) while every other one gets a random UID."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import select

from coordinator_tui.db import Database, downgrade, head_revision, open_database
from coordinator_tui.models import Appointment, ClinicAttendance, ExportedEvent
from tests.export_data import seed_clinic
from tests.postgres_server import both_databases

SENT_AT = dt.datetime(2027, 3, 1, 10, 0, tzinfo=dt.UTC)


def _old_uid(kind: str, clinic_id: int, patient_id: int) -> str:
    return f"{kind}-c{clinic_id}-p{patient_id}@coordinator-tui.invalid"


def _sent(uid: str, patient_id: int, clinic_id: int) -> ExportedEvent:
    return ExportedEvent(
        uid=uid,
        patient_id=patient_id,
        clinic_event_id=clinic_id,
        fingerprint="f" * 64,
        sequence=2,
        last_exported=SENT_AT,
    )


@both_databases
def test_0010_fills_what_was_sent_and_keeps_the_uids_already_sent(db_url: str) -> None:
    database: Database = open_database(db_url)
    try:
        with database.session() as session:
            seed = seed_clinic(session)
            clinic, patient = seed.clinic_id, seed.patient_id
            appointment = session.get(Appointment, seed.appointment_ids[0])
            assert appointment is not None
            booked = (appointment.uid, appointment.start, appointment.end)
            session.add(_sent(appointment.uid, patient, clinic))
            session.add(_sent("deleted-before-0010@coordinator-tui.invalid", patient, clinic))
            for word in ("travel-out", "hotel-in", "hotel-out"):
                session.add(_sent(_old_uid(word, clinic, patient), patient, clinic))
            place = session.exec(
                select(ClinicAttendance).where(
                    ClinicAttendance.clinic_event_id == clinic, ClinicAttendance.patient_id == patient
                )
            ).one()
            travel = (place.travel_out_depart, place.travel_out_arrive)
            check_in = place.hotel_check_in
        downgrade(database, "0009")
        with database.engine.connect() as conn:
            assert "kind" not in {c["name"] for c in sa.inspect(conn).get_columns("exportedevent")}
            assert "familytold" not in sa.inspect(conn).get_table_names()
    finally:
        database.dispose()

    database = open_database(db_url)  # upgraded to head on opening
    try:
        with database.session() as session:
            rows = {row.uid: row for row in session.exec(select(ExportedEvent)).all()}
            uid, start, end = booked
            assert (rows[uid].kind, rows[uid].start, rows[uid].end) == ("appointment", start, end)
            gone = rows["deleted-before-0010@coordinator-tui.invalid"]
            assert (gone.kind, gone.start, gone.end, gone.day) == ("", None, None, None)
            out = rows[_old_uid("travel-out", clinic, patient)]
            assert (out.kind, out.start, out.end) == ("travel_out", *travel)
            assert check_in is not None
            hotel_in = rows[_old_uid("hotel-in", clinic, patient)]
            hotel_out = rows[_old_uid("hotel-out", clinic, patient)]
            assert (hotel_in.kind, hotel_in.day) == ("hotel_check_in", check_in)
            assert (hotel_out.kind, hotel_out.day) == ("hotel_check_out", check_in + dt.timedelta(days=1))
            assert all(row.sequence == 2 and row.withdrawn_at is None for row in rows.values())

            places = session.exec(select(ClinicAttendance)).all()
            mine = next(p for p in places if p.patient_id == patient)
            # Sent under the old UID: kept, so the family's calendar updates the event in place.
            assert mine.travel_out_uid == _old_uid("travel-out", clinic, patient)
            assert mine.hotel_check_in_uid == _old_uid("hotel-in", clinic, patient)
            assert mine.hotel_check_out_uid == _old_uid("hotel-out", clinic, patient)
            # Never sent: a random UID with no internal ids in it.
            assert mine.travel_home_uid != _old_uid("travel-home", clinic, patient)
            others = [p for p in places if p.patient_id != patient]
            fresh = [mine.travel_home_uid] + [
                getattr(p, column)
                for p in others
                for column in ("travel_out_uid", "travel_home_uid", "hotel_check_in_uid", "hotel_check_out_uid")
            ]
            assert len(set(fresh)) == len(fresh) == 1 + 4 * len(others)
            assert all(u.endswith("@coordinator-tui.invalid") and not u.startswith(("travel", "hotel")) for u in fresh)
        with database.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()
    finally:
        database.dispose()
