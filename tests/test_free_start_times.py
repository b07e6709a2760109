"""Free start times offered when moving or booking an appointment (``services/clinics/free_times.py``).

A small two-day clinic (09:00–17:00, two rooms in two buildings, 10 minutes' walk between them); each test books
what stands in the way, then asks for the free starts of a 30-minute (or longer) appointment.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from coordinator_tui.models import Appointment
from coordinator_tui.services.clinics import booking, clinics
from coordinator_tui.services.clinics.clinic_day_views import load_clinic_timetable
from coordinator_tui.services.clinics.free_times import (
    SHOWN,
    FreeTimes,
    SlotRequest,
    free_start_times,
    free_times_for_form,
    walk_rule,
)
from coordinator_tui.validation import ValidationError
from tests.postgres_server import both_databases
from tests.test_services import CLINIC_DAY1, CLINIC_DAY2, World, book, local
from tests.test_services import world as world  # the fixture

pytestmark = both_databases
TEN = dt.time(10)


def at(hh: int, mm: int = 0) -> dt.time:
    return dt.time(hh, mm)


def free(
    w: World,
    *,
    professionals: tuple[int, ...] | None = None,
    room: int | None = None,
    patient: int | None = -1,
    minutes: int = 30,
    near: dt.time | None = TEN,
    day: dt.date = CLINIC_DAY1,
    moving: int | None = None,
    shown: int = 100,
) -> FreeTimes:
    """The free starts for Pip with the eye doctor (by default) on day 1, every one of them (``shown``)."""
    request = SlotRequest(
        day=day,
        minutes=minutes,
        patient_id=w.pip if patient == -1 else patient,
        professional_ids=professionals if professionals is not None else (w.eye,),
        room_id=room,
        moving_id=moving,
        near=near,
    )
    with w.db.read_session() as s:
        timetable = load_clinic_timetable(s, w.clinic)
        return free_start_times(timetable, request, walk=walk_rule(s, timetable), shown=shown)


def test_the_professionals_other_appointment_is_not_offered(world: World) -> None:
    with world.db.session() as s:
        book(s, world, patient_id=world.wren)  # the eye doctor with Wren, 10:00–10:45
    times = free(world).times
    assert at(10) not in times and at(10, 15) not in times and at(10, 30) not in times
    assert at(9, 45) not in times  # it would run until 10:15
    assert at(9, 30) in times  # ends at 10:00 as Wren's starts
    assert at(10, 45) in times  # the first start after it (where the gap opens)


def test_the_rooms_other_appointment_is_not_offered(world: World) -> None:
    with world.db.session() as s:
        book(s, world, patient_id=world.wren, professional_ids=[world.ear], discipline="audiology",
             room_id=world.room_b, end=local(CLINIC_DAY1, 10, 30))  # fmt: skip
    in_room_b = free(world, room=world.room_b).times
    assert at(10) not in in_room_b and at(10, 15) not in in_room_b
    assert at(10, 30) in in_room_b
    assert at(10) in free(world, room=world.room_a).times  # another room is free then


def test_the_familys_other_appointment_and_the_walk_between_buildings(world: World) -> None:
    with world.db.session() as s:
        # Pip sees audiology in Room 2 (Outpatients) 10:00–10:30.
        book(s, world, professional_ids=[world.ear], discipline="audiology", room_id=world.room_b,
             end=local(CLINIC_DAY1, 10, 30))  # fmt: skip
    same_building = free(world, room=world.room_b, professionals=(world.nurse,)).times
    assert at(10) not in same_building and at(10, 15) not in same_building
    assert at(10, 30) in same_building  # no walk within one building
    other_building = free(world, room=world.room_a).times  # the Eye Clinic, in the Children's Building
    assert at(10, 30) not in other_building and at(10, 35) not in other_building  # the walk takes 10 minutes
    assert at(10, 40) in other_building
    assert at(9, 20) in other_building and at(9, 25) not in other_building  # and the walk there afterwards
    # Another family is not held up by Pip's appointment.
    assert at(10) in free(world, room=world.room_a, patient=world.wren).times


def test_outside_the_professionals_staffed_hours_is_not_offered(world: World) -> None:
    with world.db.session() as s:
        clinics.set_staffing(s, world.clinic, world.eye, CLINIC_DAY1, at(9), at(12))
        clinics.set_staffing(s, world.clinic, world.ear, CLINIC_DAY2, at(9), at(17))
    times = free(world).times
    assert times and max(times) == at(11, 30) and min(times) == at(9)
    not_staffed = free(world, day=CLINIC_DAY2)
    assert not_staffed.times == ()
    assert "Dr Ivo Fernsbury is not in clinic on 12/01/2027" in not_staffed.reason
    # A joint appointment fits the hours both professionals are in.
    with world.db.session() as s:
        clinics.set_staffing(s, world.clinic, world.ear, CLINIC_DAY1, at(11), at(17))
    joint = free(world, professionals=(world.eye, world.ear)).times
    assert set(joint) == {at(11), at(11, 15), at(11, 30)}


def test_nothing_runs_past_the_end_of_the_day(world: World) -> None:
    times = free(world, minutes=60, near=at(16, 30)).times
    assert times[0] == at(16)  # the nearest to 16:30 that still ends by 17:00
    assert all(t <= at(16) for t in times)
    too_long = free(world, minutes=480 + 5)
    assert too_long.times == () and "do not fit in 09:00–17:00" in too_long.reason


def test_a_start_that_takes_the_last_lunch_break_is_not_offered(world: World) -> None:
    with world.db.session() as s:
        clinics.set_staffing(s, world.clinic, world.eye, CLINIC_DAY1, at(9), at(17))
        # The eye doctor sees Wren 12:00–13:15: their only lunch break left is 13:15–14:00.
        book(s, world, patient_id=world.wren, start=local(CLINIC_DAY1, 12), end=local(CLINIC_DAY1, 13, 15))
    times = free(world, near=at(13)).times
    assert at(13, 15) not in times and at(13, 30) not in times  # either would leave no 30 minutes for lunch
    assert at(14) in times and at(11, 30) in times


def test_the_appointment_being_moved_does_not_stand_in_its_own_way(world: World) -> None:
    with world.db.session() as s:
        moving = book(s, world)  # Pip, the eye doctor, 10:00–10:45
    assert at(10) not in free(world, minutes=45).times  # for another appointment of Pip's, 10:00 is taken
    own = free(world, minutes=45, moving=moving.id)
    assert own.times[0] == at(10)  # nearest the time it has now: that same time first
    assert own.label(at(10)) == "10:00 · the time it has now"
    assert own.label(at(10, 45)) == "10:45 · 45 min later"
    assert own.label(at(9)) == "09:00 · 1 h 00 min earlier"


def test_the_list_is_short_and_nearest_first(world: World) -> None:
    with world.db.session() as s:
        book(s, world, patient_id=world.wren, end=local(CLINIC_DAY1, 10, 10))  # the eye doctor 10:00–10:10
    request = SlotRequest(CLINIC_DAY1, 30, world.pip, (world.eye,), None, near=at(10))
    with world.db.read_session() as s:
        times = free_start_times(load_clinic_timetable(s, world.clinic), request).times
    assert len(times) == SHOWN
    assert times[:3] == (at(10, 10), at(10, 15), at(9, 30))  # the gap's start, then the nearest quarter hours
    distances = [abs((t.hour * 60 + t.minute) - 600) for t in times]
    assert distances == sorted(distances)


@pytest.mark.parametrize("minutes", ["", "lots", "3"])
def test_the_forms_use_case_waits_for_a_day_and_a_length(world: World, minutes: str) -> None:
    form = {"day": "1", "minutes": minutes, "professionals": str(world.eye), "patient": str(world.pip)}
    assert free_times_for_form(world.db, world.clinic, form) is None


def test_the_forms_use_case_reads_what_the_form_holds(world: World) -> None:
    with world.db.session() as s:
        moving = book(s, world)  # Pip, the eye doctor, 10:00–10:45 in the Eye Clinic
        book(s, world, patient_id=world.wren, start=local(CLINIC_DAY2, 10), end=local(CLINIC_DAY2, 11))
    form = {"day": "2", "start_time": "10:00", "minutes": "45", "professionals": str(world.eye), "joint_with": "",
            "room": str(world.room_a)}  # fmt: skip
    times = free_times_for_form(world.db, world.clinic, form, moving.id)
    assert times is not None and times.day == CLINIC_DAY2
    assert at(10) not in times.times and at(11) in times.times and at(9, 15) in times.times
    booking = free_times_for_form(world.db, world.clinic, {**form, "day": "1", "patient": str(world.wren)})
    assert booking is not None and at(10) not in booking.times  # for a new booking, Pip's appointment holds it


def test_a_typed_time_outside_the_staffed_hours_is_refused_with_them(world: World) -> None:
    form = {"patient": str(world.pip), "professionals": str(world.eye), "day": "1", "start_time": "11:45",
            "minutes": "30", "discipline": "ophthalmology"}  # fmt: skip
    with world.db.session() as s:
        first = booking.book_from_form(s, world.clinic, form).id  # no rota yet: any time of the clinic's day
        assert first is not None
        clinics.set_staffing(s, world.clinic, world.eye, CLINIC_DAY1, at(9), at(12))
        clinics.set_staffing(s, world.clinic, world.ear, CLINIC_DAY2, at(9), at(17))
    before = appointment_count(world)
    for day, start, message in (
        ("1", "11:45", "Dr Ivo Fernsbury is in clinic 09:00–12:00 that day"),
        ("2", "10:00", "Dr Ivo Fernsbury is not in clinic on 12/01/2027"),
    ):
        with pytest.raises(ValidationError) as refused, world.db.session() as s:
            booking.book_from_form(s, world.clinic, {**form, "patient": str(world.wren), "day": day,
                                                     "start_time": start})  # fmt: skip
        assert message in refused.value.errors["start_time"]
    assert appointment_count(world) == before
    with world.db.session() as s:
        moved = booking.move_from_form(s, first, {**form, "start_time": "11:00"})  # within the hours: moved
        assert moved.start == local(CLINIC_DAY1, 11)
    with pytest.raises(ValidationError, match="in clinic 09:00–12:00"), world.db.session() as s:
        booking.move_from_form(s, first, {**form, "start_time": "11:45"})


def appointment_count(w: World) -> int:
    with w.db.read_session() as s:
        return len(s.exec(select(Appointment)).all())
