"""Planning a year of clinics from a recurrence, and creating one clinic (on SQLite and PostgreSQL).

"Every 8 weeks on a Monday from 01/02/2027", 6 of them: built with dateutil.rrule, the one on Easter Monday moved to
the next Monday with a note; the preview writes nothing; the plan is created as one series in one transaction, or
refused whole (overlapping a clinic at the same venue, an empty plan). Creating a clinic on Easter Monday is refused
naming the holiday, as moving one is.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, ClinicEvent
from coordinator_tui.services.clinics import clinic_series, clinics, venues
from coordinator_tui.services.clinics.clinic_moves import MoveRefused, save_clinic_move
from coordinator_tui.services.clinics.clinic_series import (
    SeriesError,
    bank_holidays,
    create_series,
    preview_plan,
    preview_planned_clinics,
    save_planned_clinics,
)
from coordinator_tui.validation import ValidationError
from tests.postgres_server import both_databases

pytestmark = both_databases

PLAN = {"name": "Combined clinic", "first": "01/02/2027", "every_weeks": "8", "count": "6", "days": "2",
        "day_start": "09:00", "day_end": "17:00"}  # fmt: skip


@pytest.fixture
def venue_id(db: Database) -> int:
    with db.session() as s:
        venue = venues.add_venue(s, {"name": "Test Hospital"})
        venues.add_room(s, venue.id, {"name": "Room 1", "building": "Main"})  # type: ignore[arg-type]
        assert venue.id is not None
        return venue.id


def written(db: Database) -> tuple[int, int]:
    with db.read_session() as s:
        return len(s.exec(select(ClinicEvent)).all()), len(s.exec(select(AuditEvent)).all())


def test_every_eight_weeks_on_a_monday_skips_easter_monday_with_a_note() -> None:
    dates = preview_plan(dt.date(2027, 2, 1), 8, count=6)
    assert [d.start for d in dates] == [
        dt.date(2027, 2, 1), dt.date(2027, 4, 5), dt.date(2027, 5, 24),
        dt.date(2027, 7, 19), dt.date(2027, 9, 13), dt.date(2027, 11, 8),
    ]  # fmt: skip
    assert [d.note for d in dates if d.note] == ["moved from 29/03/2027: Easter Monday"]
    assert all(d.start.weekday() == 0 for d in dates)
    until = preview_plan(dt.date(2027, 2, 1), 8, until=dt.date(2027, 9, 13))
    assert [d.start for d in until] == [d.start for d in dates[:5]]
    with pytest.raises(SeriesError, match="one of the two"):
        preview_plan(dt.date(2027, 2, 1), 8)
    with pytest.raises(SeriesError, match="at most 26"):
        preview_plan(dt.date(2027, 2, 1), 1, until=dt.date(2028, 2, 1))


def test_the_preview_writes_nothing_then_six_clinics_none_on_a_bank_holiday_are_created(
    db: Database, venue_id: int
) -> None:
    form = {**PLAN, "venue_id": str(venue_id)}
    before = written(db)
    preview = preview_planned_clinics(db, form)
    assert written(db) == before
    assert preview.venue == "Test Hospital" and len(preview.dates) == 6
    assert preview.lines()[1] == "Mon 05/04/2027–Tue 06/04/2027  (moved from 29/03/2027: Easter Monday)"

    created = save_planned_clinics(db, form)

    assert len(created) == 6 and len({c.series_id for c in created}) == 1
    holidays = bank_holidays({2027})
    for clinic in created:
        assert not any(day in holidays or day.weekday() >= 5 for day in clinic.dates)
        assert clinic.venue_id == venue_id and clinic.name == f"Combined clinic {clinic.start_date:%d/%m/%Y}"
    assert written(db)[0] == 6
    # The same plan again overlaps every clinic at the venue: refused whole, nothing written.
    after = written(db)
    with pytest.raises(SeriesError, match="01/02/2027 overlaps Combined clinic 01/02/2027"):
        save_planned_clinics(db, form)
    with pytest.raises(SeriesError, match="overlaps"):
        preview_planned_clinics(db, form)
    assert written(db) == after


def test_a_plan_form_with_wrong_values_names_each_field(db: Database) -> None:
    with pytest.raises(ValidationError) as refused:
        preview_planned_clinics(db, {"first": "01/01/2020", "every_weeks": "0", "count": "6", "until": "01/01/2028",
                                     "days": "9", "day_start": "17:00", "day_end": "09:00"})  # fmt: skip
    assert set(refused.value.errors) == {"first", "every_weeks", "count", "days", "day_end"}
    assert refused.value.errors["first"] == "cannot be in the past"


def test_an_empty_plan_is_refused(db: Database) -> None:
    with db.session() as s, pytest.raises(SeriesError, match="no dates"):
        create_series(s, clinics.get_service(s).id, "Combined clinic", [])  # type: ignore[arg-type]
    assert written(db)[0] == 0


def test_creating_a_clinic_on_easter_monday_is_refused_as_moving_one_is(db: Database, venue_id: int) -> None:
    before = written(db)
    with pytest.raises(ValidationError) as refused:
        clinics.save_new_clinic(db, {"name": "", "start_date": "29/03/2027", "venue_id": str(venue_id)})
    assert refused.value.errors == {"start_date": "29/03/2027 is Easter Monday"}
    with pytest.raises(ValidationError, match="03/04/2027 is a weekend"):
        clinics.save_new_clinic(db, {"name": "Friday", "start_date": "02/04/2027", "days": "2"})
    assert written(db) == before

    clinic = clinics.save_new_clinic(db, {"name": "", "start_date": "22/03/2027", "venue_id": str(venue_id)})
    assert (clinic.name, clinic.venue, clinic.dates) == (
        "Combined clinic 22/03/2027",
        "Test Hospital",
        [dt.date(2027, 3, 22), dt.date(2027, 3, 23)],
    )
    with pytest.raises(MoveRefused) as move_refused:
        save_clinic_move(db, clinic.id, {"new_start": "29/03/2027"})  # type: ignore[arg-type]
    assert move_refused.value.reasons == ["29/03/2027 is Easter Monday"]
    assert clinic_series.clash(dt.date(2027, 3, 29), 2) == "29/03/2027 is Easter Monday"  # the one rule for both
    with pytest.raises(ValidationError, match="overlaps Combined clinic 22/03/2027"):
        clinics.save_new_clinic(db, {"name": "Second", "start_date": "23/03/2027", "venue_id": str(venue_id)})
