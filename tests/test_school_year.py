"""English school years: the 1 September cut-off, Reception in the year a child turns 5, and term dates."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta

from coordinator_tui.services.transition import school_year
from coordinator_tui.services.transition.school_year import (
    SchoolCalendar,
    academic_year_start,
    date_in_school_year,
    reception_start_year,
    school_year_on,
    term_start,
)


def test_31_august_is_youngest_and_1_september_oldest_of_next_year() -> None:
    summer_born = dt.date(2015, 8, 31)
    autumn_born = dt.date(2015, 9, 1)
    assert reception_start_year(summer_born) == 2019
    assert reception_start_year(autumn_born) == 2020
    first_day = dt.date(2019, 9, 1)
    assert school_year_on(summer_born, first_day) == 0  # starts Reception aged 4
    assert school_year_on(autumn_born, first_day) == -1  # a year later
    assert academic_year_start(summer_born, 9) == dt.date(2028, 9, 1)
    assert academic_year_start(autumn_born, 9) == dt.date(2029, 9, 1)


def test_the_academic_year_turns_on_1_september() -> None:
    dob = dt.date(2012, 3, 4)
    assert school_year_on(dob, dt.date(2025, 8, 31)) == 8
    assert school_year_on(dob, dt.date(2025, 9, 1)) == 9
    assert school_year_on(dob, dt.date(2026, 1, 1)) == 9


def test_29_february_birthday() -> None:
    leap = dt.date(2012, 2, 29)
    assert reception_start_year(leap) == 2016  # turns 5 in (February) 2017
    assert academic_year_start(leap, 9) == dt.date(2025, 9, 1)
    assert school_year_on(leap, dt.date(2026, 11, 25)) == 10


def test_every_year_9_child_is_13_as_it_starts_and_14_by_its_end() -> None:
    day = dt.date(2012, 1, 1)
    while day.year == 2012:  # every birthday of a leap year, 29 February and the cut-off included
        eve = academic_year_start(day, 9) - dt.timedelta(days=1)  # a 1 September birthday turns 14 on day one
        end = academic_year_start(day, 10) - dt.timedelta(days=1)
        assert relativedelta(eve, day).years == 13, day
        assert relativedelta(end, day).years == 14, day
        day += dt.timedelta(days=1)


def test_years_before_school_are_negative() -> None:
    dob = dt.date(2024, 10, 1)
    assert school_year_on(dob, dt.date(2026, 11, 25)) == -3
    assert academic_year_start(dob, -1) == dt.date(2028, 9, 1)


def test_fixed_dates_fall_in_the_right_calendar_year_of_a_school_year() -> None:
    dob = dt.date(2011, 3, 4)  # Reception 2015/16, Year 6 2021/22, Year 11 2026/27
    assert date_in_school_year(dob, 6, 2, 15) == dt.date(2022, 2, 15)
    assert date_in_school_year(dob, 6, 10, 31) == dt.date(2021, 10, 31)
    assert date_in_school_year(dob, 11, 3, 31) == dt.date(2027, 3, 31)
    assert date_in_school_year(dob, 11, 9, 1) == dt.date(2026, 9, 1)
    assert date_in_school_year(dob, 11, 8, 31) == dt.date(2027, 8, 31)


def test_term_convention() -> None:
    dob = dt.date(2011, 3, 4)
    assert term_start(dob, 6, "autumn") == dt.date(2021, 9, 1)
    assert term_start(dob, 6, "spring") == dt.date(2022, 1, 1)
    assert term_start(dob, 6, "summer") == dt.date(2022, 4, 15)
    with pytest.raises(ValueError, match="unknown term"):
        term_start(dob, 6, "winter")


def test_29_february_is_refused_as_a_fixed_school_date() -> None:
    with pytest.raises(ValueError, match="29 February"):
        date_in_school_year(dt.date(2011, 3, 4), 6, 2, 29)


def test_unknown_nation_is_a_clear_error() -> None:
    with pytest.raises(school_year.UnknownNationError) as info:
        school_year_on(dt.date(2011, 3, 4), dt.date(2026, 1, 1), nation="atlantis")
    assert "atlantis" in str(info.value) and "england" in str(info.value)


def test_another_nation_can_be_registered_without_touching_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fictional nation: year starts 15 August, first school year for children 4½ to 5½ on that date
    # (birthdays 1 March to end of February). Only shows that the rule is replaceable.
    def first_year(dob: dt.date) -> int:
        return dob.year + 5 if (dob.month, dob.day) >= (3, 1) else dob.year + 4

    calendar = SchoolCalendar(nation="testland", reception_start_year=first_year, year_start=(8, 15))
    monkeypatch.setitem(school_year._CALENDARS, "testland", calendar)
    dob = dt.date(2015, 2, 28)
    assert academic_year_start(dob, 0, nation="testland") == dt.date(2019, 8, 15)
    assert academic_year_start(dob, 0) == dt.date(2019, 9, 1)  # England unchanged
    assert school_year_on(dob, dt.date(2019, 8, 20), nation="Testland") == 0
    assert "testland" in school_year.known_nations()
