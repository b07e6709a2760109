"""The independent timetable checker at one-minute granularity: an overlap of a single minute is a clash for a
professional, a family and a room; an appointment ending exactly when the next starts is not.

The timetables are built by hand (no solver), two appointments each, so that nothing but the pair is in question.
Loosening the overlap comparison by a minute either way fails one half of these tests.
"""

from __future__ import annotations

import pytest

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

H = 60
OVERLAP_RULES = {"professional_overlap", "patient_overlap", "room_overlap"}

# The second appointment shares exactly one resource with the first (A: family 1, professional 1, room 1).
SHARED = {
    "professional_overlap": {"patient_id": 2, "professional_id": 1, "room_id": 2},
    "patient_overlap": {"patient_id": 1, "professional_id": 2, "room_id": 2},
    "room_overlap": {"patient_id": 2, "professional_id": 2, "room_id": 1},
}


def _instance() -> Instance:
    """Two professionals in from 9:00 to 17:00, two rooms in one building, two adult families, one day."""
    return Instance(
        professionals={1: ProfessionalSpec(1, "Test One", "audiology"), 2: ProfessionalSpec(2, "Test Two", "renal")},
        staffing=[StaffDay(1, 0, 9 * H, 17 * H), StaffDay(2, 0, 9 * H, 17 * H)],
        rooms={1: RoomSpec(1, "Room 1", "Main"), 2: RoomSpec(2, "Room 2", "Main")},
        patients={1: PatientSpec(1, "Test Family 1"), 2: PatientSpec(2, "Test Family 2")},
        requests=[Request("a", 1, "audiology", 30, (1,))],
        days=1,
    )


def _pair(rule: str, b_start: int, b_minutes: int = 30) -> tuple[Instance, list[ScheduledItem]]:
    """A at 10:00-10:30 and B (``b_minutes`` long from ``b_start``) sharing the resource of ``rule``."""
    inst = _instance()
    shared = SHARED[rule]
    patient, prof, room = shared["patient_id"], shared["professional_id"], shared["room_id"]
    discipline = inst.professionals[prof].discipline
    inst.requests.append(Request("b", patient, discipline, b_minutes, (prof,), room_id=room))
    items = [
        ScheduledItem("a", 1, "audiology", "consultation", 0, 10 * H, 10 * H + 30, (1,), 1),
        ScheduledItem("b", patient, discipline, "consultation", 0, b_start, b_start + b_minutes, (prof,), room),
    ]
    return inst, items


def _overlaps(inst: Instance, items: list[ScheduledItem]) -> set[tuple[str, tuple[str, ...]]]:
    return {(v.rule, tuple(sorted(v.keys))) for v in check_timetable(inst, items) if v.rule in OVERLAP_RULES}


@pytest.mark.parametrize("rule", sorted(SHARED))
@pytest.mark.parametrize(
    ("b_start", "b_minutes"),
    [
        pytest.param(10 * H + 29, 30, id="starts-a-minute-before-A-ends"),
        pytest.param(9 * H + 31, 30, id="ends-a-minute-after-A-starts"),
        pytest.param(10 * H + 14, 1, id="one-minute-inside-A"),
    ],
)
def test_a_one_minute_overlap_is_reported(rule: str, b_start: int, b_minutes: int) -> None:
    inst, items = _pair(rule, b_start, b_minutes)
    assert _overlaps(inst, items) == {(rule, ("a", "b"))}
    assert _overlaps(inst, items[::-1]) == {(rule, ("a", "b"))}  # whichever comes first in the list


@pytest.mark.parametrize("rule", sorted(SHARED))
@pytest.mark.parametrize("b_start", [10 * H + 30, 9 * H + 30], ids=["B-starts-as-A-ends", "B-ends-as-A-starts"])
def test_back_to_back_is_not_a_clash(rule: str, b_start: int) -> None:
    inst, items = _pair(rule, b_start)
    assert check_timetable(inst, items) == []  # on the grid, right lengths, lunch free: no rule broken at all
    assert check_timetable(inst, items[::-1]) == []
