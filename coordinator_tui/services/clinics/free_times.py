"""Free start times for an appointment on a clinic day: the starts that fit, offered instead of trial and error.

A start fits when, for the whole appointment (its minutes from that start):

- it lies within the clinic's day and, where the clinic has a rota, within each professional's staffed hours that
  day (a professional not on the rota that day has no free time);
- none of its professionals, its room or its family has another active appointment then (the appointment being
  moved is not counted: it is the one moving);
- the family has time to walk between buildings: from the room of their appointment just before, and to the room
  of the one just after (the venue's walking time for the pair, else the service's minutes between buildings);
- it leaves the professionals and the family their lunch break (a 30-minute gap between 12:00 and 14:00, the
  timetable checker's rule), where they had one.

``free_start_times`` is pure (it works on the clinic's timetable already loaded); ``free_times_for_form`` is the
booking and move forms' read use case, from the values the form holds now. The list is short and nearest to the
time asked about first: the quarter hours and the first and last start of each free spell, so a nurse sees 10:10
right after an appointment ending 10:10 (and 11:20 ending right before one at 11:50) rather than every 5 minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import Session

from coordinator_tui.clinic_time import format_date, to_local
from coordinator_tui.services.clinics.appointments import AppointmentView
from coordinator_tui.services.clinics.clinic_day_views import ClinicTimetable, load_clinic_timetable
from coordinator_tui.services.clinics.scheduling.model import Instance
from coordinator_tui.services.clinics.venues import venue_walks, walking_minutes
from coordinator_tui.services.people.specialist_service import get_service
from coordinator_tui.validation import parse_time

if TYPE_CHECKING:
    from coordinator_tui.db import Database

STEP = 5  # minutes between the starts looked at (the timetable's grid)
SHOWN = 8  # how many free starts are offered
NICE = 15  # a start on a quarter hour is offered, as is the first start after a busy spell
LUNCH_START, LUNCH_END, LUNCH_MINUTES = Instance.lunch_start, Instance.lunch_end, Instance.lunch_minutes

WalkRule = Callable[[str, str], int]


def no_walk(_first: str, _second: str) -> int:
    return 0


@dataclass(frozen=True)
class SlotRequest:
    """What is to be placed: who, where, how long, on which day (and which appointment it is, when moving)."""

    day: dt.date
    minutes: int
    patient_id: int | None
    professional_ids: tuple[int, ...]
    room_id: int | None
    moving_id: int | None = None
    near: dt.time | None = None  # the free starts nearest this come first (the current start, when moving)


@dataclass(frozen=True)
class FreeTimes:
    """The free starts offered (nearest the time asked about first), or why there is none."""

    day: dt.date
    times: tuple[dt.time, ...] = ()
    reason: str = ""
    near: dt.time | None = None

    def label(self, at: dt.time) -> str:
        """'10:15 · 15 min later' (or 'earlier', or 'the same time')."""
        if self.near is None:
            return f"{at:%H:%M}"
        shift = _minutes(at) - _minutes(self.near)
        if shift == 0:
            return f"{at:%H:%M} · the time it has now"
        hours, minutes = divmod(abs(shift), 60)
        span = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
        return f"{at:%H:%M} · {span} {'later' if shift > 0 else 'earlier'}"


@dataclass
class _Busy:
    """Who or what is busy, as minutes of the day, and where the family is then (for the walk)."""

    spans: list[tuple[int, int]] = field(default_factory=list)
    family: list[tuple[int, int, str]] = field(default_factory=list)  # start, end, building


def _minutes(at: dt.time) -> int:
    return at.hour * 60 + at.minute


def _clock(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def _window(timetable: ClinicTimetable, request: SlotRequest) -> tuple[int, int, str]:
    """The earliest start and latest end that day: the clinic's day within every professional's hours."""
    clinic = timetable.clinic
    if request.day not in clinic.dates:
        return 0, 0, f"{format_date(request.day)} is not a day of this clinic"
    low, high = _minutes(clinic.day_start), _minutes(clinic.day_end)
    if not timetable.staffing:  # no rota yet: the clinic's hours only
        return low, high, ""
    shifts = {p.id: (s, p) for s, p in timetable.staffing_on(request.day)}
    for professional_id in request.professional_ids:
        if professional_id not in shifts:
            name = next((p.display_name for _s, p in timetable.staffing if p.id == professional_id), "")
            who = name or "the professional"
            return 0, 0, f"{who} is not in clinic on {format_date(request.day)} (see the staffing)"
        shift, _professional = shifts[professional_id]
        low, high = max(low, _minutes(shift.start_time)), min(high, _minutes(shift.end_time))
    return low, high, ""


def _busy(timetable: ClinicTimetable, request: SlotRequest) -> tuple[_Busy, dict[int, list[tuple[int, int]]]]:
    """The day's other active appointments that hold a professional, the room or the family of the request."""
    busy = _Busy()
    per_professional: dict[int, list[tuple[int, int]]] = {pid: [] for pid in request.professional_ids}
    wanted = set(request.professional_ids)
    for view in timetable.on_day(request.day):
        if view.appointment.id == request.moving_id:
            continue
        start, end = _span(view, timetable.zone, request.day)
        shared = wanted & {p.id for p in view.professionals}
        same_room = request.room_id is not None and view.appointment.room_id == request.room_id
        same_family = request.patient_id is not None and view.patient.id == request.patient_id
        if shared or same_room or same_family:
            busy.spans.append((start, end))
        for pid in shared:
            per_professional[pid].append((start, end))
        if same_family:
            busy.family.append((start, end, view.room.building if view.room is not None else ""))
    return busy, per_professional


def _span(view: AppointmentView, zone: str, day: dt.date) -> tuple[int, int]:
    start, end = to_local(view.appointment.start, zone), to_local(view.appointment.end, zone)
    return (start.date() - day).days * 1440 + _minutes(start.time()), (end.date() - day).days * 1440 + _minutes(
        end.time()
    )


def _has_lunch(spans: Iterable[tuple[int, int]], low: int, high: int) -> bool:
    """A lunch break (a gap of LUNCH_MINUTES inside the lunch window and the day) among these busy spans."""
    start, end = max(low, LUNCH_START), min(high, LUNCH_END)
    if end - start < LUNCH_MINUTES:
        return True  # the day hardly meets the lunch window: no break to keep
    cursor = start
    for span_start, span_end in sorted(spans):
        if span_end <= cursor:
            continue
        if span_start - cursor >= LUNCH_MINUTES:
            return True
        cursor = max(cursor, span_end)
        if cursor >= end:
            return False
    return end - cursor >= LUNCH_MINUTES


def _keeps_lunch(spans: list[tuple[int, int]], candidate: tuple[int, int], low: int, high: int) -> bool:
    return not _has_lunch(spans, low, high) or _has_lunch([*spans, candidate], low, high)


def _fits(
    start: int,
    request: SlotRequest,
    busy: _Busy,
    per_professional: Mapping[int, list[tuple[int, int]]],
    window: tuple[int, int],
    building: str,
    walk: WalkRule,
) -> bool:
    end = start + request.minutes
    if any(s < end and e > start for s, e in busy.spans):
        return False
    for other_start, other_end, other_building in busy.family:
        minutes = walk(other_building, building)
        if minutes and (other_end <= start < other_end + minutes or end <= other_start < end + minutes):
            return False
    candidate = (start, end)
    if not all(_keeps_lunch(spans, candidate, *window) for spans in per_professional.values()):
        return False
    family = [(s, e) for s, e, _b in busy.family]
    return request.patient_id is None or _keeps_lunch(family, candidate, *window)


def free_start_times(
    timetable: ClinicTimetable, request: SlotRequest, *, walk: WalkRule = no_walk, shown: int = SHOWN
) -> FreeTimes:
    """The starts that fit ``request`` on its day (see the module's rules): at most ``shown``, nearest first."""
    low, high, reason = _window(timetable, request)
    if reason:
        return FreeTimes(request.day, reason=reason, near=request.near)
    room = next((r for r in timetable.rooms if r.id == request.room_id), None)
    building = room.building if room is not None else ""
    busy, per_professional = _busy(timetable, request)
    first = -(-low // STEP) * STEP
    fitting = [
        start
        for start in range(first, high - request.minutes + 1, STEP)
        if _fits(start, request, busy, per_professional, (low, high), building, walk)
    ]
    if not fitting:
        return FreeTimes(request.day, reason=_none_reason(request, low, high), near=request.near)
    found = set(fitting)
    # A free spell's first and last starts (right after one appointment, or ending right before the next).
    edges = {start for start in fitting if start - STEP not in found or start + STEP not in found}
    offered = [start for start in fitting if start % NICE == 0 or start in edges]
    near = _minutes(request.near) if request.near is not None else low
    offered.sort(key=lambda start: (abs(start - near), start))
    return FreeTimes(request.day, tuple(_clock(m) for m in offered[:shown]), near=request.near)


def _none_reason(request: SlotRequest, low: int, high: int) -> str:
    hours = f"{_clock(low):%H:%M}–{_clock(high):%H:%M}"
    if high - low < request.minutes:
        return f"{request.minutes} minutes do not fit in {hours} on {format_date(request.day)}"
    return (
        f"no free {request.minutes} minutes in {hours} on {format_date(request.day)} for the professional, "
        "the room and the family together (try another day, room or length)"
    )


# ------------------------------------------------------------------------------------------------------------
# The forms' read use case
# ------------------------------------------------------------------------------------------------------------


def walk_rule(session: Session, timetable: ClinicTimetable) -> WalkRule:
    """Minutes to walk between two buildings of the clinic's venue (its own times, else the service's)."""
    default = get_service(session).minutes_between_buildings
    walks = venue_walks(session, timetable.clinic.venue_id)
    return lambda first, second: walking_minutes(default, walks, first, second)


def _as_id(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def slot_request(
    timetable: ClinicTimetable, form: Mapping[str, object], *, moving: AppointmentView | None = None
) -> SlotRequest | None:
    """What the form asks for now (None until it names a day and a length that make sense)."""
    dates = timetable.clinic.dates
    day_text = str(form.get("day") or "").strip()
    if not (day_text.isdigit() and 1 <= int(day_text) <= len(dates)):
        return None
    minutes_text = str(form.get("minutes") or "").strip()
    if not (minutes_text.isdigit() and 5 <= int(minutes_text) <= 480):
        return None
    professionals = tuple(
        dict.fromkeys(p for p in (_as_id(form.get("professionals")), _as_id(form.get("joint_with"))) if p is not None)
    )
    try:
        near = parse_time(str(form.get("start_time") or ""), "start_time")
    except ValueError:
        near = None
    patient = moving.patient.id if moving is not None else _as_id(form.get("patient"))
    return SlotRequest(
        day=dates[int(day_text) - 1],
        minutes=int(minutes_text),
        patient_id=patient,
        professional_ids=professionals,
        room_id=_as_id(form.get("room")),
        moving_id=moving.appointment.id if moving is not None else None,
        near=near,
    )


def _free_times_in_session(
    session: Session, clinic_id: int, form: Mapping[str, object], moving_id: int | None
) -> FreeTimes | None:
    timetable = load_clinic_timetable(session, clinic_id)
    moving = timetable.find(moving_id) if moving_id is not None else None
    request = slot_request(timetable, form, moving=moving)
    if request is None:
        return None
    return free_start_times(timetable, request, walk=walk_rule(session, timetable))


def free_times_for_form(
    database: Database, clinic_id: int, form: Mapping[str, object], moving_id: int | None = None
) -> FreeTimes | None:
    """The free starts for what the booking or move form holds now (None until it names a day and a length)."""
    return database.read(_free_times_in_session, clinic_id, dict(form), moving_id)


def free_times_sequence(times: FreeTimes) -> Sequence[tuple[str, str]]:
    """The free starts as (label, 'HH:MM') pairs for a list to choose from."""
    return [(times.label(at), f"{at:%H:%M}") for at in times.times]
