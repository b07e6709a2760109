"""``coordinator-tui service show|set|rules``: prints the details and what changed; bad input is one line (exit 2 for a
wrong value, 1 for a rules file that cannot be used) and writes nothing; an older settings file's service-wide values
are moved in by the first command that may write, and reported as ignored afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from coordinator_tui.db import Database
from coordinator_tui.export.service import NO_PHONE_WARNING
from coordinator_tui.models import AuditEvent, Service
from coordinator_tui.services import service_details as service
from tests.cli_helpers import cli, one_line
from tests.export_data import seed_clinic
from tests.postgres_server import both_databases

pytestmark = both_databases

PHONE = "0121 496 0000"


def written(db: Database) -> tuple[list[tuple[str, str, int]], int]:
    """The service rows and the number of audit entries: what a refused command must leave as it was."""
    with db.read_session() as s:
        rows = [(r.name, r.phone, r.version) for r in s.exec(select(Service)).all()]
        audited = len(s.exec(select(AuditEvent).where(col(AuditEvent.entity) == "service")).all())
    return rows, audited


def test_show_on_a_new_database_prints_the_defaults_and_what_to_fill_in(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "service", "show", "--db", db_url)
    assert (code, err) == (0, "")
    assert "Name:" in out and service.DEFAULT_SERVICE_NAME in out
    assert "Children's clinic day:     09:00–16:00" in out and "Adults' clinic day:        09:00–17:00" in out
    assert "Phone on the day:          (none: itineraries cannot say whom to call)" in out
    assert out.rstrip().endswith(
        "To fill in: name, phone, address (coordinator-tui service set, or the Service screen)"
    )
    assert written(db) == ([], 0)


def test_set_prints_what_it_changed_and_show_then_has_it(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "northshire.toml"
    rules.write_text('[[milestone]]\nid = "rsg_hello"\nenabled = false\n', encoding="utf-8")
    argv = ["service", "set", "--db", db_url, "--name", "Northshire Rare Disease Service", "--short-name"]
    argv += ["Alström clinic", "--phone", "01214960000", "--address", "1 Example Road, Exampleton"]
    argv += ["--child-hours", "09:30-15:30", "--adult-hours", "09:00-16:30", "--reminder-minutes", "90"]
    argv += ["--walking-minutes", "15"]
    code, out, err = cli(capsys, *argv)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Name: National Alström Syndrome Service -> Northshire Rare Disease Service",
        "Short name (families see): (none) -> Alström clinic",
        f"Phone on the day: (none) -> {PHONE}",
        "Address: (none) -> 1 Example Road, Exampleton",
        "Reminder (minutes before): 60 -> 90",
        "Minutes between buildings: 10 -> 15",
        "Children's day starts: 09:00 -> 09:30",
        "Children's day ends: 16:00 -> 15:30",
        "Adults' day ends: 17:00 -> 16:30",
    ]
    code, out, err = cli(capsys, "service", "rules", str(rules), "--yes", "--db", db_url)
    assert (code, err) == (0, "")
    details = service.service_details(db)
    assert (details.phone, details.milestone_rules_name, details.to_fill_in) == (PHONE, "northshire.toml", [])

    code, out, err = cli(capsys, "service", "show", "--db", db_url)
    assert code == 0 and "Milestone rules:           northshire.toml (3 lines), layered on the shipped rules" in out
    assert "To fill in" not in out

    code, out, _ = cli(capsys, "service", "set", "--db", db_url, "--phone", PHONE)
    assert (code, out) == (0, "Nothing changed: the service's details already say that.\n")

    code, out, _ = cli(capsys, "service", "rules", "--clear", "--yes", "--db", db_url)
    assert code == 0 and out.splitlines()[-1] == "No patients yet: no checklists to regenerate."
    assert service.service_details(db).milestone_rules == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--phone", "12345"], "--phone: is not a UK phone number"),
        (["--child-hours", "16:00-09:00"], "--child-hours: must be after the day starts (16:00)"),
        (["--adult-hours", "9am to 5pm"], "--adult-hours: type the hours as HH:MM-HH:MM"),
        (["--reminder-minutes", "lots"], "--reminder-minutes: type a whole number"),
        (["--walking-minutes", "500"], "--walking-minutes: must be between 0 and 120"),
        (["--timezone", "Mars/Olympus"], "--timezone: is not a time zone name"),
        (["--name", " "], "--name: is required"),
        (["--phone", PHONE, "--name", "Hub\u202e"], "--name: contains a right-to-left override"),
    ],
)
def test_a_wrong_value_is_one_line_exit_2_and_nothing_is_written(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = written(db)
    code, out, err = cli(capsys, "service", "set", "--db", db_url, *argv)
    assert (code, out) == (2, "")
    assert message in one_line(err)
    assert written(db) == before


def test_a_rules_file_that_cannot_be_used_is_exit_1_and_nothing_is_written(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[milestone]]\nid = "brand_new"\n', encoding="utf-8")
    for path, message in [
        (bad, "bad.toml, line 1: milestone 'brand_new' is missing"),
        (tmp_path / "no.toml", "no file"),
    ]:
        code, out, err = cli(capsys, "service", "rules", str(path), "--yes", "--db", db_url)
        assert (code, out) == (1, "")
        assert one_line(err).startswith(f"coordinator-tui: {path}: ") and message in err
    assert written(db) == ([], 0)


def test_db_before_or_after_the_action(db: Database, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "service", "--db", db_url, "set", "--phone", PHONE)[0] == 0
    code, out, _ = cli(capsys, "service", "--db", db_url, "show")
    assert code == 0 and f"Phone on the day:          {PHONE}" in out
    assert cli(capsys, "service", "--help")[1].count("--db") >= 1


def test_set_without_a_detail_is_a_usage_error(db: Database, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "service", "set", "--db", db_url)
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == "coordinator-tui service set: error: give at least one detail to change (see --help)"
    code, _, err = cli(capsys, "service", "rules", "x.toml", "--clear", "--db", db_url)
    assert code == 2 and "not allowed with argument" in err
    assert written(db) == ([], 0)


def test_an_older_settings_file_is_moved_in_once_then_ignored_with_one_line(
    db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('service_name = "Northshire Rare Disease Service"\nchild_day_end = "15:00"\n', encoding="utf-8")
    monkeypatch.setenv("COORDINATOR_SETTINGS", str(settings))

    code, out, err = cli(capsys, "service", "show", "--db", db_url)  # reads only: nothing moved yet
    assert code == 0 and "not used" in one_line(err) and written(db) == ([], 0)

    code, out, err = cli(capsys, "service", "set", "--db", db_url, "--phone", PHONE)
    assert code == 0
    assert one_line(err) == (
        f"coordinator-tui: moved service_name, child_day_end from {settings} into the database's service details "
        f"(shared by everyone using it); remove them from {settings}"
    )
    details = service.service_details(db)
    assert (details.name, f"{details.child_day_end:%H:%M}", details.phone) == (
        "Northshire Rare Disease Service",
        "15:00",
        PHONE,
    )

    settings.write_text('service_name = "Edited Later"\n', encoding="utf-8")
    code, out, err = cli(capsys, "service", "show", "--db", db_url)
    assert code == 0 and "Northshire Rare Disease Service" in out and "Edited Later" not in out
    assert one_line(err).startswith(f"coordinator-tui: warning: service_name in {settings} ignored")
    assert service.service_details(db).name == "Northshire Rare Disease Service"


def test_export_warns_in_one_line_while_the_phone_number_is_not_set(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.session() as session:
        seed = seed_clinic(session)
    argv = ["export", "--clinic", str(seed.clinic_id), "--patient", str(seed.patient_id), "--format", "txt"]
    code, out, err = cli(capsys, *argv, "--out", str(tmp_path / "a"), "--db", db_url)
    assert code == 0 and out.split("  for ")[0].endswith(".txt")
    assert one_line(err) == f"coordinator-tui: warning: {NO_PHONE_WARNING}"
    assert cli(capsys, "service", "set", "--db", db_url, "--phone", PHONE)[0] == 0
    code, out, err = cli(capsys, *argv, "--out", str(tmp_path / "b"), "--db", db_url)
    assert (code, err) == (0, "")
    running_late = f"If you are running late or cannot come, call Fictional Rare Disease Service on {PHONE}."
    assert running_late in Path(out.split("  for ")[0]).read_text()
