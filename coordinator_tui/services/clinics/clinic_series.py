"""A year's combined clinics from a recurrence, skipping England's bank holidays.

Public API:

- ``bank_holidays(years) -> dict[date, str]``: England's bank holidays (``holidays`` library, UK subdivision ENG).
- ``plan_dates(rule, *, days=2, on_holiday="next") -> list[PlannedDate]``: the start dates a
  ``dateutil.rrule.rrule`` (or a list of dates) gives, each checked so that none of its ``days`` consecutive
  days is a bank holiday (or a weekend): with ``on_holiday="next"`` the clinic moves to the next valid
  occurrence of its weekday (the second Monday becomes the third; never onto a date the series already has),
  with ``"drop"`` it is dropped.
  ``PlannedDate.note`` says what happened ("moved from 29/03/2027: Easter Monday").
- ``every_n_months_on(weekday_ordinal, weekday, *, start, interval=2, count=6) -> rrule``: e.g. every second
  month on the second Monday.
- ``create_series(session, service_id, name, dates, *, venue, rooms, day_start, day_end, days=2)
  -> list[ClinicEvent]``: one ClinicEvent per planned date (all with the same ``series_id``) and its rooms
  ``[(name, building), ...]``, each row created with ``records.create_record`` (audited).
- ``move_clinic(session, clinic_id, new_start, *, expected_version=None) -> ClinicEvent``: move one date
  (refuses a bank holiday); ``drop_clinic(session, clinic_id, ...)``: cancel one date (status cancelled).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import holidays
from dateutil import rrule
from sqlmodel import Session

from coordinator_tui.clinic_time import format_date
from coordinator_tui.models import ClinicEvent, ClinicStatus
from coordinator_tui.services.clinics.venues import find_venue_by_name, set_clinic_venue, use_room
from coordinator_tui.services.safety.records import create_record, get_or_raise, update_record
from coordinator_tui.validation import FieldError

OnHoliday = Literal["next", "drop"]
WEEKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)


class SeriesError(ValueError):
    """A clinic date that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class PlannedDate:
    start: dt.date
    requested: dt.date
    note: str = ""

    @property
    def moved(self) -> bool:
        return self.start != self.requested


def bank_holidays(years: Iterable[int]) -> dict[dt.date, str]:
    """England's bank holidays for ``years`` (maintained upstream by the ``holidays`` package)."""
    table = holidays.country_holidays("GB", subdiv="ENG", years=sorted(set(years)))
    return {day: str(name) for day, name in table.items()}


def clash(start: dt.date, days: int) -> str:
    """Why a clinic starting on ``start`` for ``days`` days cannot run, or '' when it can."""
    run = [start + dt.timedelta(days=i) for i in range(days)]
    table = bank_holidays({d.year for d in run})
    for d in run:
        if d in table:
            return f"{format_date(d)} is {table[d]}"
        if d.weekday() >= 5:
            return f"{format_date(d)} is a weekend"
    return ""


def every_n_months_on(
    ordinal: int, weekday: int, *, start: dt.date, interval: int = 2, count: int | None = 6
) -> rrule.rrule:
    """E.g. ``every_n_months_on(2, 0, start=...)``: every second month on the second Monday."""
    return rrule.rrule(
        rrule.MONTHLY,
        interval=interval,
        byweekday=WEEKDAYS[weekday](ordinal),
        dtstart=dt.datetime.combine(start, dt.time()),
        count=count,
    )


def plan_dates(
    rule: rrule.rrule | Sequence[dt.date],
    *,
    days: int = 2,
    on_holiday: OnHoliday = "next",
    search_limit: int = 400,
) -> list[PlannedDate]:
    """Start dates from a recurrence, none of whose days is a bank holiday or a weekend."""
    if on_holiday not in ("next", "drop"):
        raise SeriesError("on_holiday must be 'next' or 'drop'")
    wanted = [d.date() for d in rule] if isinstance(rule, rrule.rrule) else list(rule)
    taken: set[dt.date] = set()
    out: list[PlannedDate] = []
    for requested in wanted:
        reason = clash(requested, days)
        if not reason:
            if requested not in taken:
                out.append(PlannedDate(requested, requested))
                taken.add(requested)
            continue
        if on_holiday == "drop":
            continue
        moved = _next_occurrence(requested, days, taken, search_limit)
        if moved is None:
            continue
        out.append(PlannedDate(moved, requested, f"moved from {format_date(requested)}: {reason}"))
        taken.add(moved)
    return out


def _next_occurrence(after: dt.date, days: int, taken: set[dt.date], limit: int) -> dt.date | None:
    """The next valid start on the same weekday (a second-Monday clinic moves to the third Monday)."""
    # The same weekday one week later keeps the clinic's pattern (second Monday -> third Monday).
    candidate = after + dt.timedelta(days=7)
    for _ in range(limit // 7):
        if candidate not in taken and not clash(candidate, days):
            return candidate
        candidate += dt.timedelta(days=7)
    return None


def create_series(
    session: Session,
    service_id: int,
    name: str,
    dates: Sequence[PlannedDate | dt.date],
    *,
    venue: str = "",
    rooms: Sequence[tuple[str, str]] = (),
    day_start: dt.time = dt.time(9, 0),
    day_end: dt.time = dt.time(17, 0),
    days: int = 2,
) -> list[ClinicEvent]:
    """One audited ClinicEvent (and its rooms) per date, sharing a new series id."""
    if day_end <= day_start:
        raise SeriesError("the clinic day must end after it starts")
    series_id = f"series-{uuid.uuid4().hex[:12]}"
    events: list[ClinicEvent] = []
    for planned in dates:
        start = planned.start if isinstance(planned, PlannedDate) else planned
        event = create_record(
            session,
            ClinicEvent(
                service_id=service_id,
                name=f"{name} {format_date(start)}",
                start_date=start,
                days=days,
                day_start=day_start,
                day_end=day_end,
                status=ClinicStatus.PLANNED,
                series_id=series_id,
            ),
        )
        assert event.id is not None
        if venue.strip():
            event = _hold_at(session, event, venue)
        for room_name, building in rooms:
            use_room(session, event.id, room_name, building)
        events.append(event)
    return events


def _hold_at(session: Session, event: ClinicEvent, venue_name: str) -> ClinicEvent:
    """The series' venue, from the catalogue (a name not there is refused: add the venue first)."""
    assert event.id is not None
    try:
        venue = find_venue_by_name(session, event.service_id, venue_name)
    except FieldError as exc:
        raise SeriesError(exc.message) from None
    return set_clinic_venue(session, event.id, venue.id)


def move_clinic(
    session: Session, clinic_id: int, new_start: dt.date, *, expected_version: int | None = None
) -> ClinicEvent:
    """Move one clinic of a series to another start date (refused on a bank holiday or weekend)."""
    event = get_or_raise(session, ClinicEvent, clinic_id)
    reason = clash(new_start, event.days)
    if reason:
        raise SeriesError(f"cannot move the clinic to {format_date(new_start)}: {reason}")
    return update_record(
        session,
        ClinicEvent,
        clinic_id,
        {"start_date": new_start, "name": _renamed(event.name, event.start_date, new_start)},
        expected_version=expected_version,
    )


def drop_clinic(session: Session, clinic_id: int, *, expected_version: int | None = None) -> ClinicEvent:
    """Drop one date of a series: the clinic is kept, marked cancelled (audited)."""
    return update_record(
        session, ClinicEvent, clinic_id, {"status": ClinicStatus.CANCELLED}, expected_version=expected_version
    )


def _renamed(name: str, old: dt.date, new: dt.date) -> str:
    old_text = format_date(old)
    return name.replace(old_text, format_date(new)) if old_text in name else name
