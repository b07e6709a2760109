"""Where a request may go: the windows the rules leave it, and the item it becomes once placed."""

from __future__ import annotations

from .model import ROUND_TABLE, Instance, Request, ScheduledItem, ceil5, floor5


def options_window(instance: Instance, request: Request, day: int) -> tuple[int, int] | None:
    """Where this request could go on a day, from the family's window and every professional's hours."""
    if request.fasting and day != 0:
        return None
    window = instance.patient_window(request.patient_id, day)
    if window is None:
        return None
    lo, hi = window
    if day == instance.days - 1 and request.kind != ROUND_TABLE:
        hi = min(hi, fixed_round_table_start(instance, request.patient_id, day))
    for pid in request.professional_ids:
        s = instance.staff_day(pid, day)
        if s is None:
            return None
        lo, hi = max(lo, ceil5(s.start)), min(hi, floor5(s.end))
    return (lo, hi) if hi - lo >= request.slot_minutes else None


def fixed_round_table_start(instance: Instance, patient_id: int, day: int) -> int:
    """When the family's round-table that stays where it is (pinned) starts on ``day``: their other appointments
    end by then. The end of the day when there is none."""
    for r in instance.requests:
        if r.patient_id == patient_id and r.kind == ROUND_TABLE and r.pinned is not None and r.pinned.day == day:
            return r.pinned.start
    return 24 * 60


def has_someone_to_see(r: Request) -> bool:
    """A new appointment needs a professional in clinic to see; one already booked without any (by hand, say a
    meeting with the family) keeps its place in the timetable all the same."""
    return bool(r.professional_ids) or r.current is not None


def item_at(instance: Instance, r: Request, day: int, start: int, profs: tuple[int, ...]) -> ScheduledItem:
    return ScheduledItem(
        key=r.key,
        patient_id=r.patient_id,
        discipline=r.discipline,
        kind=r.kind,
        day=day,
        start=start,
        end=start + r.slot_minutes,
        professional_ids=tuple(profs),
        room_id=instance.room_for(r, day),
        pinned=r.pinned is not None,
    )
