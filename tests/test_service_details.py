"""The service's details in the database: checked, audited, stale saves refused; the settings move (once, then
ignored with a warning); every reader (scheduler, itineraries, milestone rules) using them."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.db import Database
from coordinator_tui.export import export_itineraries
from coordinator_tui.export.ics import calendar_entries
from coordinator_tui.export.printable import render_html, render_text
from coordinator_tui.export.service import NO_PHONE_WARNING, export_for_screen
from coordinator_tui.models import AuditEvent, Service
from coordinator_tui.services import service_details as service
from coordinator_tui.services.clinics import clinic_planning
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.itineraries.itinerary import build_itinerary
from coordinator_tui.services.transition.checklists import rules_for_saving
from coordinator_tui.settings import Settings
from coordinator_tui.validation import FieldError, ValidationError
from tests.export_data import seed_clinic
from tests.ics_checks import events_by_uid, parse_strict
from tests.postgres_server import both_databases

pytestmark = both_databases

PHONE = "0121 496 0000"  # Ofcom's range for drama: never a real line
FILLED = {
    "name": "Northshire Rare Disease Service",
    "short_name": "Alström clinic",
    "phone": PHONE,
    "address": "Exampleton Children's Hospital\n1 Example Road",
}
RULES = textwrap.dedent(
    """
    [[milestone]]
    id = "rsg_hello"
    enabled = false
    """
)


def service_rows(db: Database) -> list[Service]:
    with db.read_session() as s:
        return list(s.exec(select(Service)).all())


def audit_rows(db: Database) -> list[AuditEvent]:
    with db.read_session() as s:
        return list(
            s.exec(select(AuditEvent).where(col(AuditEvent.entity) == "service").order_by(col(AuditEvent.id))).all()
        )


def rules_file(tmp_path: Path, text: str = RULES, name: str = "northshire.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------------------
# A new database, reading and saving
# ------------------------------------------------------------------------------------------------------------


def test_a_new_database_shows_the_defaults_without_writing_and_asks_for_name_phone_address(db: Database) -> None:
    details = service.service_details(db)
    assert (details.version, details.name, details.phone) == (0, service.DEFAULT_SERVICE_NAME, "")
    assert (details.child_day_start, details.child_day_end) == (dt.time(9), dt.time(16))
    assert (details.adult_day_start, details.adult_day_end) == (dt.time(9), dt.time(17))
    assert (details.reminder_minutes_before, details.minutes_between_buildings) == (60, 10)
    assert details.to_fill_in == ["name", "phone", "address"]
    assert service_rows(db) == [] and audit_rows(db) == []


def test_creating_the_service_row_is_idempotent(db: Database) -> None:
    first = db.write(service.get_service)
    again = db.write(service.get_service)
    assert first.id == again.id and len(service_rows(db)) == 1


def test_the_first_save_creates_the_row_audited_and_confirms_the_details(db: Database) -> None:
    change = service.save_service_details(db, FILLED, expected_version=0)
    assert change.details.phone == PHONE and change.details.to_fill_in == []
    assert change.details.settings_moved_on == clock.now()
    assert ("Phone on the day", "", PHONE) in change.changed
    [row] = service_rows(db)
    assert (row.name, row.short_name, row.address) == (FILLED["name"], "Alström clinic", FILLED["address"])
    assert [event.action for event in audit_rows(db)] == ["create", "update"]


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("phone", "12345", "is not a UK phone number"),
        ("phone", "+33 1 23 45 67 89", "only UK numbers"),
        ("name", "   ", "is required"),
        ("short_name", "x" * 61, "is too long"),
        ("timezone", "Mars/Olympus", "is not a time zone name"),
        ("child_day_start", "25:00", "is not a time of day"),
        ("adult_day_end", "5pm", "type a time as HH:MM"),
        ("child_day_end", "08:30", "must be after the day starts (09:00)"),
        ("adult_day_end", "09:00", "must be after the day starts (09:00)"),
        ("reminder_minutes_before", "-5", "type a whole number"),
        ("reminder_minutes_before", "40321", "must be between 0 and 40320"),
        ("minutes_between_buildings", "121", "must be between 0 and 120"),
        ("address", "1 Example Road\u202e", "right-to-left override"),
    ],
)
def test_each_wrong_value_is_named_and_nothing_is_written(db: Database, field: str, typed: str, message: str) -> None:
    service.save_service_details(db, FILLED, expected_version=0)
    before = audit_rows(db)
    with pytest.raises(ValidationError) as info:
        service.save_service_details(db, {field: typed}, expected_version=2)
    assert message in info.value.errors[field]
    assert audit_rows(db) == before and service.service_details(db).version == 2


def test_a_uk_phone_number_is_kept_tidy() -> None:
    values = service.parse_service_form(
        {**service.form_values(service.ServiceDetails.of(None)), "phone": "+44 7700 900123"}
    )
    assert values["phone"] == "07700 900123"


def test_a_stale_save_is_refused_naming_who_saved(db: Database) -> None:
    opened = service.save_service_details(db, FILLED, expected_version=0).details
    service.save_service_details(db, {"phone": "0121 496 0999"}, expected_version=opened.version)
    with pytest.raises(ConcurrentEditError, match="test-coordinator"):
        service.save_service_details(db, {"phone": "0121 496 0111"}, expected_version=opened.version)
    assert service.service_details(db).phone == "0121 496 0999"


def test_a_save_on_a_form_opened_before_the_row_existed_is_refused_once_someone_created_it(db: Database) -> None:
    service.save_service_details(db, FILLED, expected_version=0)
    with pytest.raises(ConcurrentEditError):
        service.save_service_details(db, {"phone": "0121 496 0111"}, expected_version=0)


def test_the_command_lines_hours_are_a_start_and_an_end() -> None:
    assert service.parse_hours("09:30-15:00", "--child-hours") == ("09:30", "15:00")
    with pytest.raises(FieldError, match="HH:MM-HH:MM"):
        service.parse_hours("09:30", "--child-hours")


# ------------------------------------------------------------------------------------------------------------
# The milestone rules file
# ------------------------------------------------------------------------------------------------------------


def test_a_rules_file_is_checked_and_stored_as_text_then_used(db: Database, tmp_path: Path) -> None:
    assert rules_for_saving(db).rules["rsg_hello"].enabled  # type: ignore[index]
    change = service.load_service_rules(db, str(rules_file(tmp_path)), expected_version=0)
    assert change.details.milestone_rules == RULES and change.details.milestone_rules_name == "northshire.toml"
    rules_file(tmp_path).unlink()  # kept in the database: the file is no longer needed
    rules = rules_for_saving(db).rules
    assert rules is not None and not rules["rsg_hello"].enabled
    cleared = service.clear_service_rules(db, expected_version=change.details.version)
    assert cleared.details.milestone_rules == "" and rules_for_saving(db).rules["rsg_hello"].enabled  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[milestone]]\nid = "brand_new"\ntitle = "New"\n', "'brand_new' is missing"),
        ("this is not toml", "is not valid TOML"),
        ('[[milestone]]\nid = "rsg_hello"\ncolour = "blue"\n', "colour"),
    ],
)
def test_a_wrong_rules_file_is_refused_with_its_reason_and_nothing_written(
    db: Database, tmp_path: Path, text: str, message: str
) -> None:
    path = rules_file(tmp_path, text)
    with pytest.raises(FieldError) as info:
        service.load_service_rules(db, str(path), expected_version=0)
    assert (
        info.value.field == "rules_file" and message in info.value.message and "northshire.toml" in info.value.message
    )
    assert service_rows(db) == []


def test_a_missing_or_folder_path_is_refused(db: Database, tmp_path: Path) -> None:
    with pytest.raises(FieldError, match="there is no file at"):
        service.load_service_rules(db, str(tmp_path / "nowhere.toml"), expected_version=0)
    with pytest.raises(FieldError, match="is a folder"):
        service.load_service_rules(db, str(tmp_path), expected_version=0)


# ------------------------------------------------------------------------------------------------------------
# The settings move
# ------------------------------------------------------------------------------------------------------------


def old_settings(tmp_path: Path, **extra: str | int) -> Settings:
    values: dict[str, str | int] = {
        "service_name": "Northshire Rare Disease Service",
        "timezone": "Europe/London",
        "rules_file": str(rules_file(tmp_path)),
        "reminder_minutes_before": 90,
        "child_day_end": "15:30",
        "adult_day_end": "16:30",
        "minutes_between_buildings": 15,
    }
    return Settings(export_dir="/srv/exports", service_values={**values, **extra})


def test_the_settings_values_are_moved_once_in_one_audited_write(db: Database, tmp_path: Path) -> None:
    move = service.take_workstation_settings(db, old_settings(tmp_path), source="/home/x/settings.toml")
    assert not move.warning and move.message.startswith("moved service_name, timezone, rules_file,")
    assert "from /home/x/settings.toml into the database" in move.message and "\n" not in move.message
    details = service.service_details(db)
    assert details.name == "Northshire Rare Disease Service"
    assert (details.child_day_end, details.adult_day_end) == (dt.time(15, 30), dt.time(16, 30))
    assert (details.reminder_minutes_before, details.minutes_between_buildings) == (90, 15)
    assert details.milestone_rules == RULES and details.milestone_rules_name == "northshire.toml"
    assert details.settings_moved_on == clock.now()
    assert [event.action for event in audit_rows(db)] == ["create", "update"]  # the row is new: made and filled


def test_later_edits_to_the_settings_file_are_ignored_with_a_one_line_warning(db: Database, tmp_path: Path) -> None:
    service.take_workstation_settings(db, old_settings(tmp_path))
    moved = service.service_details(db)
    audited = audit_rows(db)
    edited = old_settings(tmp_path, service_name="Another Name", child_day_end="12:00")
    again = service.take_workstation_settings(db, edited, source="settings.toml")
    assert again.warning and "\n" not in again.message
    assert again.message.startswith("service_name, timezone, rules_file,") and "ignored" in again.message
    assert service.service_details(db) == moved and audit_rows(db) == audited


def test_details_entered_first_are_never_overwritten_by_a_settings_file(db: Database, tmp_path: Path) -> None:
    service.save_service_details(db, FILLED, expected_version=0)
    move = service.take_workstation_settings(db, old_settings(tmp_path))
    assert move.warning and "ignored" in move.message
    assert service.service_details(db).name == FILLED["name"]


def test_a_file_without_service_values_moves_nothing_and_writes_nothing(db: Database) -> None:
    move = service.take_workstation_settings(db, Settings(export_dir="/srv/exports"))
    assert move.message == "" and service_rows(db) == []


def test_a_read_only_open_does_not_move_and_says_so(db: Database, tmp_path: Path) -> None:
    move = service.take_workstation_settings(db, old_settings(tmp_path), writable=False)
    assert "not used" in move.message and service_rows(db) == []


def test_a_settings_value_the_details_refuse_moves_nothing_and_is_tried_again(db: Database, tmp_path: Path) -> None:
    broken = old_settings(tmp_path, child_day_end="08:00")  # before the children's day starts (09:00)
    move = service.take_workstation_settings(db, broken)
    assert move.warning and "not moved" in move.message and "child_day_end" in move.message
    assert service_rows(db) == []
    settings = old_settings(tmp_path)
    rules_file(tmp_path).unlink()
    missing_rules = service.take_workstation_settings(db, settings)
    assert missing_rules.warning and "there is no file at" in missing_rules.message and service_rows(db) == []
    rules_file(tmp_path)
    assert not service.take_workstation_settings(db, old_settings(tmp_path)).warning  # fixed: moved now


# ------------------------------------------------------------------------------------------------------------
# Readers use the database's values
# ------------------------------------------------------------------------------------------------------------


def set_details(session: Session, **values: object) -> None:
    row = session.exec(select(Service)).one()
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)
    session.flush()


def test_the_scheduler_uses_the_services_hours_and_walking_time(session: Session) -> None:
    seed = seed_clinic(session)
    set_details(
        session,
        child_day_start=dt.time(9, 30),
        child_day_end=dt.time(15, 0),
        adult_day_start=dt.time(10, 0),
        adult_day_end=dt.time(16, 45),
        minutes_between_buildings=25,
    )
    instance = clinic_planning.load_instance(session, seed.clinic_id)
    assert (instance.child_day_start, instance.child_day_end) == (9 * 60 + 30, 15 * 60)
    assert (instance.adult_day_start, instance.adult_day_end) == (10 * 60, 16 * 60 + 45)
    assert instance.transfer_minutes == 25


def test_every_itinerary_says_whom_to_call_on_the_day(session: Session, tmp_path: Path) -> None:
    seed = seed_clinic(session)
    set_details(session, short_name="Alström clinic", phone=PHONE, reminder_minutes_before=30)
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    assert itinerary.call_on_the_day == f"Alström clinic on {PHONE}"
    running_late = f"If you are running late or cannot come, call Alström clinic on {PHONE}."
    assert running_late in render_text(itinerary)
    assert "From: Alström clinic" in render_text(itinerary)  # the short name, where families see the service
    assert running_late in render_html(itinerary)
    entries = calendar_entries(itinerary)
    appointments = [e for e in entries if e.uid in {a.uid for a in itinerary.appointments}]
    assert len(entries) > len(appointments) > 0  # travel and hotel events too
    # Calendar events never name the service (its short name here names the condition): "the clinic team".
    in_calendars = f"If you are running late or cannot come, call the clinic team on {PHONE}."
    assert all(e.description.endswith(f"\n{in_calendars}") for e in entries)
    assert not any("Alström" in e.description for e in entries)
    live = [e for e in appointments if e.status != "CANCELLED"]
    assert all(e.alarms[-1].before == dt.timedelta(minutes=30) for e in live)

    [ics] = export_itineraries(session, seed.clinic_id, seed.patient_id, tmp_path, ["ics"])
    events = events_by_uid(parse_strict(ics.read_bytes()))
    assert all(PHONE in str(events[e.uid].get("DESCRIPTION")) for e in entries)


def test_without_a_short_name_families_see_the_full_name(session: Session) -> None:
    seed = seed_clinic(session)
    set_details(session, phone=PHONE)
    itinerary = build_itinerary(session, seed.clinic_id, seed.patient_id)
    assert itinerary.call_on_the_day == f"Fictional Rare Disease Service on {PHONE}"


def test_an_export_warns_while_the_phone_number_for_the_day_is_not_set(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        seed = seed_clinic(session)
    outcome = export_for_screen(db, seed.clinic_id, seed.patient_id, tmp_path / "a", ["txt"], False)
    assert outcome.paths and outcome.warning == NO_PHONE_WARNING
    with db.session() as session:
        set_details(session, phone=PHONE)
    outcome = export_for_screen(db, seed.clinic_id, seed.patient_id, tmp_path / "b", ["txt"], False)
    assert outcome.paths and outcome.warning is None


def test_the_apps_title_before_the_details_are_read_is_the_default_service_name() -> None:
    from coordinator_tui.ui.app import DEFAULT_SERVICE_NAME  # kept apart: the app starts without the database stack

    assert DEFAULT_SERVICE_NAME == service.DEFAULT_SERVICE_NAME
