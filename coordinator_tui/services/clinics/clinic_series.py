"""A year's combined clinics from a recurrence, skipping England's bank holidays.

Public API:

- ``bank_holidays(years) -> dict[date, str]``: England's bank holidays (``holidays`` library, UK subdivision ENG).
- ``clash(start, days) -> str``: why a clinic starting on ``start`` for ``days`` days cannot run (a bank holiday,
  named, or a weekend), '' when it can. The one rule for creating, planning and moving a clinic.
- ``plan_dates(rule, *, days=2, on_holiday="next") -> list[PlannedDate]``: the start dates a
  ``dateutil.rrule.rrule`` (or a list of dates) gives, each checked so that none of its ``days`` consecutive
  days is a bank holiday (or a weekend): with ``on_holiday="next"`` the clinic moves to the next valid
  occurrence of its weekday (the second Monday becomes the third; never onto a date the series already has),
  with ``"drop"`` it is dropped.
  ``PlannedDate.note`` says what happened ("moved from 29/03/2027: Easter Monday").
- ``weekly_rule(first, every_weeks, *, count=None, until=None) -> rrule``: every N weeks on the first date's weekday.
- ``preview_plan(first, every_weeks, *, count=None, until=None, days=2) -> list[PlannedDate]``: the dates such a
  plan gives, bank holidays skipped (pure: nothing is read or written).
- ``every_n_months_on(weekday_ordinal, weekday, *, start, interval=2, count=6) -> rrule``: e.g. every second
  month on the second Monday.
- ``venue_overlaps(session, venue_id, start, days, *, except_id=None)``: the clinics (not cancelled) already held
  at that venue on any of those days.
- ``create_series(session, service_id, name, dates, *, venue_id | venue, rooms, day_start, day_end, days=2)
  -> list[ClinicEvent]``: one ClinicEvent per planned date (all with the same ``series_id``, each named
  "<name> DD/MM/YYYY") and its rooms ``[(name, building), ...]``, each row created with ``records.create_record``
  (audited). An empty plan, a date that cannot run or one overlapping a clinic at the same venue is refused
  (``SeriesError``) and nothing is created.
- The plan form's use cases: ``parse_plan_form``, ``preview_planned_clinics`` (a read) and
  ``save_planned_clinics`` (one write).

Moving and cancelling one clinic are ``clinic_moves.move_clinic`` and ``clinics.cancel_clinic_event``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import holidays
from dateutil import rrule
from sqlmodel import Session, col, select

from coordinator_tui.clinic_time import format_date
from coordinator_tui.models import ClinicEvent, ClinicStatus
from coordinator_tui.services.clinics.venues import find_venue_by_name, set_clinic_venue, use_room
from coordinator_tui.services.people.specialist_service import get_service
from coordinator_tui.services.safety.records import create_record, get_or_raise
from coordinator_tui.validation import (
    FieldError,
    FormErrors,
    ValidationError,
    clean_text,
    form_text,
    parse_positive_int,
    parse_time,
    parse_uk_date,
)

if TYPE_CHECKING:
    from coordinator_tui.db import Database

OnHoliday = Literal["next", "drop"]
WEEKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)
MAX_PLANNED = 26  # clinics one plan may create (every 2 weeks for a year)
MAX_DAYS = 5  # the longest clinic, in consecutive days


class SeriesError(ValidationError):
    """A clinic date or plan that cannot be used; the message is one line for the user (shown under ``field``)."""

    def __init__(self, message: str, field: str = "start_date") -> None:
        super().__init__({field: message})
        self.message = message

    def __str__(self) -> str:
        return self.message


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


def weekly_rule(
    first: dt.date, every_weeks: int, *, count: int | None = None, until: dt.date | None = None
) -> rrule.rrule:
    """Every ``every_weeks`` weeks on the weekday of ``first``, ``count`` times or up to ``until``."""
    return rrule.rrule(
        rrule.WEEKLY,
        interval=every_weeks,
        dtstart=dt.datetime.combine(first, dt.time()),
        count=count,
        until=dt.datetime.combine(until, dt.time()) if until is not None else None,
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
        # "moved from 29/03/2027: Easter Monday"; a later day keeps its date ("...: 26/03/2027 is Good Friday").
        reason = reason.removeprefix(f"{format_date(requested)} is ")
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


def preview_plan(
    first: dt.date,
    every_weeks: int,
    *,
    count: int | None = None,
    until: dt.date | None = None,
    days: int = 2,
) -> list[PlannedDate]:
    """The clinics a plan gives: every ``every_weeks`` weeks on ``first``'s weekday, ``count`` of them or up to
    ``until``, each date that would fall on a bank holiday or weekend moved to the next valid same weekday (with a
    note). Pure: nothing is read or written. Refused: both or neither of count and until, more than MAX_PLANNED."""
    if (count is None) == (until is None):
        raise SeriesError("give how many clinics or an until date (one of the two)", "count")
    if until is not None and until < first:
        raise SeriesError("the until date is before the first clinic", "until")
    wanted = list(itertools.islice(weekly_rule(first, every_weeks, count=count, until=until), MAX_PLANNED + 1))
    if len(wanted) > MAX_PLANNED:
        raise SeriesError(f"a plan makes at most {MAX_PLANNED} clinics: choose fewer or an earlier until date", "until")
    return plan_dates([w.date() for w in wanted], days=days)


def venue_overlaps(
    session: Session, venue_id: int | None, start: dt.date, days: int, *, except_id: int | None = None
) -> list[ClinicEvent]:
    """The clinics (not cancelled) at ``venue_id`` on any day from ``start`` for ``days`` days."""
    if venue_id is None:
        return []
    end = start + dt.timedelta(days=days - 1)
    found = session.exec(
        select(ClinicEvent).where(
            ClinicEvent.venue_id == venue_id,
            ClinicEvent.status != ClinicStatus.CANCELLED,
            col(ClinicEvent.start_date) <= end,
            col(ClinicEvent.start_date) >= start - dt.timedelta(days=MAX_DAYS),
        )
    ).all()
    return [c for c in found if c.end_date >= start and c.id != except_id]


def overlap_text(start: dt.date, other: ClinicEvent) -> str:
    """'11/01/2027 overlaps Combined clinic 11/01/2027 (11/01/2027–12/01/2027) at Test Hospital'."""
    return f"{format_date(start)} overlaps {other.name} ({_dates(other)}) at {other.venue}"


def _dates(clinic: ClinicEvent) -> str:
    if clinic.days <= 1:
        return format_date(clinic.start_date)
    return f"{format_date(clinic.start_date)}–{format_date(clinic.end_date)}"


def plan_problems(
    session: Session, venue_id: int | None, dates: Sequence[PlannedDate | dt.date], days: int
) -> list[str]:
    """Why these planned dates cannot be created: none at all, a date that cannot run, an overlap at the venue."""
    if not dates:
        return ["the plan gives no dates: check the first date, how many and the until date"]
    problems = []
    for planned in dates:
        start = planned.start if isinstance(planned, PlannedDate) else planned
        reason = clash(start, days)
        if reason:
            problems.append(reason)
        problems.extend(overlap_text(start, other) for other in venue_overlaps(session, venue_id, start, days))
    return problems


def create_series(
    session: Session,
    service_id: int,
    name: str,
    dates: Sequence[PlannedDate | dt.date],
    *,
    venue: str = "",
    venue_id: int | None = None,
    rooms: Sequence[tuple[str, str]] = (),
    day_start: dt.time = dt.time(9, 0),
    day_end: dt.time = dt.time(17, 0),
    days: int = 2,
) -> list[ClinicEvent]:
    """One audited ClinicEvent (and its rooms) per date, sharing a new series id; refused as a whole
    (``SeriesError``, nothing created) when a date cannot run or overlaps a clinic at the same venue."""
    if day_end <= day_start:
        raise SeriesError("the clinic day must end after it starts", "day_end")
    if venue_id is None and venue.strip():
        venue_id = _catalogue_venue_id(session, service_id, venue)
    problems = plan_problems(session, venue_id, dates, days)
    if problems:
        raise SeriesError("; ".join(problems))
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
        if venue_id is not None:
            event = set_clinic_venue(session, event.id, venue_id)
        for room_name, building in rooms:
            use_room(session, event.id, room_name, building)
        events.append(event)
    return events


def _catalogue_venue_id(session: Session, service_id: int, venue_name: str) -> int:
    """The series' venue, from the catalogue (a name not there is refused: add the venue first)."""
    try:
        venue = find_venue_by_name(session, service_id, venue_name)
    except FieldError as exc:
        raise SeriesError(exc.message, "venue") from None
    assert venue.id is not None
    return venue.id


# ------------------------------------------------------------------------------------------------------------
# The plan form (screen and command line): parse, preview (a read), create (one write)
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanPreview:
    """What a plan would create: the dates (with notes on those moved off a bank holiday), and how."""

    name: str
    dates: list[PlannedDate]
    days: int
    venue: str
    day_start: dt.time
    day_end: dt.time

    def lines(self) -> list[str]:
        """One line per clinic: 'Mon 11/01/2027–Tue 12/01/2027' and its note."""
        out = []
        for planned in self.dates:
            end = planned.start + dt.timedelta(days=self.days - 1)
            when = f"{planned.start:%a} {format_date(planned.start)}"
            if self.days > 1:
                when += f"–{end:%a} {format_date(end)}"
            out.append(f"{when}  ({planned.note})" if planned.note else when)
        return out


def parse_plan_form(form: Mapping[str, object]) -> dict[str, Any]:
    """The plan's values: first date (not in the past), every N weeks, how many or until, days, venue, hours."""
    errors = FormErrors()
    values: dict[str, Any] = {}
    values["name"] = errors.check("name", clean_text, form_text(form, "name") or "Combined clinic", "name",
                                  max_length=180, required=True)  # fmt: skip
    values["first"] = errors.check("first", parse_uk_date, form_text(form, "first"), "first", allow_past=False)
    values["every_weeks"] = errors.check(
        "every_weeks", parse_positive_int, form_text(form, "every_weeks"), "every_weeks", minimum=1, maximum=52
    )
    count_text, until_text = form_text(form, "count").strip(), form_text(form, "until").strip()
    values["count"] = (
        errors.check("count", parse_positive_int, count_text, "count", minimum=1, maximum=MAX_PLANNED)
        if count_text
        else None
    )
    values["until"] = errors.check("until", parse_uk_date, until_text, "until") if until_text else None
    if bool(count_text) == bool(until_text):
        errors.add("count", "give how many clinics or an until date (one of the two)")
    values["days"] = errors.check(
        "days", parse_positive_int, form_text(form, "days") or "2", "days", minimum=1, maximum=MAX_DAYS
    )
    values["venue_id"] = _venue_id(errors, form)
    values["day_start"] = errors.check("day_start", parse_time, form_text(form, "day_start") or "09:00", "day_start")
    values["day_end"] = errors.check("day_end", parse_time, form_text(form, "day_end") or "17:00", "day_end")
    if values["day_start"] and values["day_end"] and values["day_end"] <= values["day_start"]:
        errors.add("day_end", "the clinic day must end after it starts")
    errors.raise_if_any()
    return values


def _venue_id(errors: FormErrors, form: Mapping[str, object]) -> int | None:
    text = form_text(form, "venue_id").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        errors.add("venue_id", "choose a venue from the list")
        return None
    return int(text)


def _preview(session: Session, values: Mapping[str, Any]) -> PlanPreview:
    dates = preview_plan(
        values["first"], values["every_weeks"], count=values["count"], until=values["until"], days=values["days"]
    )
    venue_name = ""
    if values["venue_id"] is not None:
        from coordinator_tui.models import Venue

        venue = get_or_raise(session, Venue, values["venue_id"])
        if venue.archived:
            raise SeriesError(f"{venue.name} is archived: choose a current venue", "venue_id")
        venue_name = venue.name
    problems = plan_problems(session, values["venue_id"], dates, values["days"])
    if problems:
        raise SeriesError("; ".join(problems), "first")
    return PlanPreview(values["name"], dates, values["days"], venue_name, values["day_start"], values["day_end"])


def preview_planned_clinics(database: Database, form: Mapping[str, object]) -> PlanPreview:
    """The plan form's preview: nothing is written. Refused as the save would be (an empty plan, an overlap)."""
    values = parse_plan_form(form)
    return database.read(_preview, values)


def _create_planned(session: Session, values: Mapping[str, Any]) -> list[ClinicEvent]:
    preview = _preview(session, values)
    service = get_service(session)
    assert service.id is not None
    return create_series(
        session,
        service.id,
        preview.name,
        preview.dates,
        venue_id=values["venue_id"],
        day_start=values["day_start"],
        day_end=values["day_end"],
        days=values["days"],
    )


def save_planned_clinics(database: Database, form: Mapping[str, object]) -> list[ClinicEvent]:
    """Create the previewed plan's clinics as one series in one transaction (all or none)."""
    values = parse_plan_form(form)
    return database.write(_create_planned, values)
