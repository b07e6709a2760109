"""School years: which school year a child is in, and when a given school year (or term) begins.

The rule is replaceable per nation: a ``SchoolCalendar`` is registered under a nation's name and every function
takes ``nation`` (default ``"england"``). Other nations' cut-offs are added with ``register_calendar`` without
touching the checklist engine; the milestone rules file names the nation it uses.

England (the default, from the shared design notes):
- the academic year starts on **1 September**;
- **Reception** (school year 0) is the academic year in which the child turns 5; Year N is N years later;
  negative numbers are the years before Reception (-1 is the year the child turns 4, usually nursery);
- so a child born on 31 August is the youngest in their year and one born on 1 September the oldest of the next;
- a birthday on 29 February is compared by month and day only, so it needs no special case.

Term convention (a simple, documented approximation, because real term dates vary by school and Easter):
autumn term starts 1 September, spring term 1 January, summer term 15 April.

Children educated out of their year group (e.g. a summer-born child who started Reception a year late, School
Admissions Code 2.17): every function takes ``offset``, the number of school years the child is BEHIND (+) or
AHEAD (-) of the year group their date of birth gives (``Patient.school_year_offset``). With ``offset = 1`` the
child's Reception starts a year later, so their "Year 9" (and every other school year) falls a year later.
Legal deadlines tied to age rather than to the year group (the end of compulsory school age) are computed with
``offset = 0``.

Public functions:
- ``reception_start_year(dob, nation=..., offset=0) -> int``: the calendar year in which the child's Reception
  year starts;
- ``school_year_on(dob, day, nation=..., offset=0) -> int``: the school year on ``day`` (Reception = 0, negative
  before);
- ``academic_year_start(dob, school_year, nation=..., offset=0) -> date``: the first day of that school year;
- ``term_start(dob, school_year, term, nation=..., offset=0) -> date``: the first day of a term of that year;
- ``date_in_school_year(dob, school_year, month, day, nation=..., offset=0) -> date``: the given calendar day that
  falls within that school year (15 February of Year 6 is in the calendar year after Year 6 starts);
- ``last_weekday_in_school_year(dob, school_year, month, weekday, nation=..., offset=0) -> date``: the last given
  weekday (0 = Monday … 4 = Friday) of a month within that school year (the last Friday in June of Year 11).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from dateutil.relativedelta import relativedelta

DEFAULT_NATION = "england"
TERMS = ("autumn", "spring", "summer")


@dataclass(frozen=True)
class SchoolCalendar:
    """One nation's school-year rule.

    ``reception_start_year`` maps a date of birth to the calendar year in which the child's first school year
    (school year 0) starts; ``year_start`` is the (month, day) every academic year starts on; ``terms`` maps a
    term name to the (month, day) it starts on.
    """

    nation: str
    reception_start_year: Callable[[dt.date], int]
    year_start: tuple[int, int] = (9, 1)
    terms: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: MappingProxyType({"autumn": (9, 1), "spring": (1, 1), "summer": (4, 15)})
    )


def _england_reception_start_year(dob: dt.date) -> int:
    # Reception is the academic year (1 Sep – 31 Aug) in which the child turns 5. A 5th birthday on or after
    # 1 September starts that academic year in the same calendar year; one from January to 31 August falls in
    # the academic year that started the September before.
    return dob.year + 5 if (dob.month, dob.day) >= (9, 1) else dob.year + 4


ENGLAND = SchoolCalendar(nation=DEFAULT_NATION, reception_start_year=_england_reception_start_year)

_CALENDARS: dict[str, SchoolCalendar] = {ENGLAND.nation: ENGLAND}


class UnknownNationError(KeyError):
    def __str__(self) -> str:
        return f"no school calendar for nation {self.args[0]!r} (known: {', '.join(sorted(_CALENDARS))})"


def register_calendar(calendar: SchoolCalendar) -> None:
    """Add or replace a nation's school calendar (the nation's name is case-insensitive)."""
    _CALENDARS[calendar.nation.lower()] = calendar


def known_nations() -> tuple[str, ...]:
    return tuple(sorted(_CALENDARS))


def get_calendar(nation: str = DEFAULT_NATION) -> SchoolCalendar:
    try:
        return _CALENDARS[nation.lower()]
    except KeyError:
        raise UnknownNationError(nation) from None


def reception_start_year(dob: dt.date, nation: str = DEFAULT_NATION, offset: int = 0) -> int:
    """The calendar year the child's Reception starts in (``offset`` years later for a child held back)."""
    return get_calendar(nation).reception_start_year(dob) + offset


def _academic_start_year_of(day: dt.date, calendar: SchoolCalendar) -> int:
    """The calendar year in which the academic year containing ``day`` started."""
    return day.year if (day.month, day.day) >= calendar.year_start else day.year - 1


def school_year_on(dob: dt.date, day: dt.date, nation: str = DEFAULT_NATION, offset: int = 0) -> int:
    """The child's school year on ``day``: Reception = 0, Year 9 = 9, negative before Reception."""
    calendar = get_calendar(nation)
    return _academic_start_year_of(day, calendar) - reception_start_year(dob, nation, offset)


def academic_year_start(dob: dt.date, school_year: int, nation: str = DEFAULT_NATION, offset: int = 0) -> dt.date:
    """The first day of the child's given school year (e.g. 1 September of Year 9)."""
    month, day = get_calendar(nation).year_start
    return dt.date(reception_start_year(dob, nation, offset) + school_year, month, day)


def date_in_school_year(
    dob: dt.date, school_year: int, month: int, day: int, nation: str = DEFAULT_NATION, offset: int = 0
) -> dt.date:
    """The calendar day (month, day) that falls within the child's given school year.

    Days from the year's start (1 September in England) to 31 December are in the start's calendar year; days
    from 1 January onwards are in the next one. 29 February is refused: it does not exist every year.
    """
    if (month, day) == (2, 29):
        raise ValueError("29 February does not fall in every school year; choose 28 February or 1 March")
    calendar = get_calendar(nation)
    start = academic_year_start(dob, school_year, nation, offset)
    year = start.year if (month, day) >= calendar.year_start else start.year + 1
    return dt.date(year, month, day)


def last_weekday_in_school_year(
    dob: dt.date, school_year: int, month: int, weekday: int, nation: str = DEFAULT_NATION, offset: int = 0
) -> dt.date:
    """The last ``weekday`` (0 = Monday … 6 = Sunday) of ``month`` within the child's given school year, e.g. the
    last Friday in June of Year 11 (the end of compulsory school age in England)."""
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday}")
    first = date_in_school_year(dob, school_year, month, 1, nation, offset)
    last = first + relativedelta(day=31)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def term_start(dob: dt.date, school_year: int, term: str, nation: str = DEFAULT_NATION, offset: int = 0) -> dt.date:
    """The first day of ``term`` (autumn, spring or summer) of the child's given school year."""
    calendar = get_calendar(nation)
    try:
        month, day = calendar.terms[term]
    except KeyError:
        raise ValueError(f"unknown term {term!r} (expected one of {', '.join(calendar.terms)})") from None
    return date_in_school_year(dob, school_year, month, day, nation, offset)
