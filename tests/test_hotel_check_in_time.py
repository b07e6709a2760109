"""The hotel's check-in time on the travel and hotel form: HH:MM, blank for 15:00, checked; saved on the attendance
(SQLite and PostgreSQL) and shown back as typed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from coordinator_tui.db import Database
from coordinator_tui.models import ClinicAttendance
from coordinator_tui.services.clinics import clinics
from coordinator_tui.validation import ValidationError
from tests.export_data import seed_clinic
from tests.postgres_server import both_databases

ZONE = "Europe/London"
HOTEL = {"hotel_name": "Fictional Lodge", "hotel_check_in": "28/03/2027", "hotel_nights": "2"}


def test_blank_means_the_usual_time_and_a_typed_time_is_kept() -> None:
    assert clinics.parse_travel_form(HOTEL, ZONE)["hotel_check_in_time"] is None
    assert clinics.parse_travel_form({**HOTEL, "hotel_check_in_time": " 14.00 "}, ZONE)["hotel_check_in_time"] == (
        dt.time(14, 0)
    )


@pytest.mark.parametrize(
    ("typed", "extra", "message"),
    [
        ("3pm", {}, "type a time as HH:MM"),
        ("25:00", {}, "is not a time of day"),
        ("14:00", {"hotel_check_in": "", "hotel_nights": "0"}, "a check-in time needs a check-in date"),
    ],
)
def test_a_wrong_time_is_named_on_its_field(typed: str, extra: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        clinics.parse_travel_form({**HOTEL, **extra, "hotel_check_in_time": typed}, ZONE)
    assert message in info.value.errors["hotel_check_in_time"]


@both_databases
def test_saved_on_the_attendance_and_shown_back(db: Database) -> None:
    with db.session() as session:
        seed = seed_clinic(session)
        attendance = session.exec(select(ClinicAttendance).where(ClinicAttendance.patient_id == seed.patient_id)).one()
        form = {**clinics.travel_form_values(attendance, ZONE), "hotel_check_in_time": "16:30"}
        values = clinics.parse_travel_form(form, ZONE)
        clinics.update_attendance(session, attendance.id, values, expected_version=attendance.version)  # type: ignore[arg-type]
        session.commit()
    with db.read_session() as session:
        saved = session.exec(select(ClinicAttendance).where(ClinicAttendance.patient_id == seed.patient_id)).one()
    assert saved.hotel_check_in_time == dt.time(16, 30)
    assert clinics.travel_form_values(saved, ZONE)["hotel_check_in_time"] == "16:30"
