"""A family's calendar titles choice (domain): recorded with who and when, audited, refused on a stale read, said in
words for the record; the next export uses it (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import icalendar
import pytest
from sqlmodel import col, select

from coordinator_tui.db import Database
from coordinator_tui.export import export_itineraries
from coordinator_tui.models import AuditEvent, Patient
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.people.calendar_titles import (
    calendar_titles_text,
    choose_calendar_titles,
    set_calendar_titles,
)
from tests.export_data import seed_clinic
from tests.postgres_server import both_databases

pytestmark = both_databases


def test_the_choice_is_recorded_audited_and_said_in_words(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        seed = seed_clinic(session)
        session.commit()
    patient = db.read(lambda s: s.get(Patient, seed.patient_id))
    assert patient is not None
    assert calendar_titles_text(patient) == "Calendar titles: discreet (default)"
    before = export_itineraries(db, seed.clinic_id, seed.patient_id, tmp_path / "a", ["ics"])[0]
    titles = {str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(before.read_bytes()).walk("VEVENT")}
    assert "Hospital appointment" in titles and not any("Ophthalmology" in t or "Eye" in t for t in titles)

    chosen = choose_calendar_titles(db, patient, True)
    assert chosen.detailed_calendar_titles and chosen.calendar_titles_set_by == "test-coordinator"
    assert chosen.calendar_titles_set_at == dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    assert calendar_titles_text(chosen) == "Calendar titles: detailed, chosen by test-coordinator on 25/11/2026"
    with pytest.raises(ConcurrentEditError):  # chosen on a record read before that change
        choose_calendar_titles(db, patient, False)
    with db.read_session() as session:
        audited = session.exec(
            select(AuditEvent).where(col(AuditEvent.entity) == "patient", col(AuditEvent.action) == "update")
        ).all()
    assert len(audited) == 1 and '"detailed_calendar_titles": true' in audited[0].after

    after = export_itineraries(db, seed.clinic_id, seed.patient_id, tmp_path / "b", ["ics"])[0]
    titles = {str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(after.read_bytes()).walk("VEVENT")}
    assert "Hospital appointment" not in titles  # detailed titles name the clinic

    back = db.write(lambda s: set_calendar_titles(s, seed.patient_id, False, expected_version=chosen.version))
    assert calendar_titles_text(back) == "Calendar titles: discreet, chosen by test-coordinator on 25/11/2026"
