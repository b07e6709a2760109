"""settings.toml: every value is checked when the file is read, and a bad one is one line naming the file, the line,
the key and the reason, from ``load_settings`` and from the commands (exit 1, no traceback).

Before, ``adult_day_end = "xx"`` was accepted and crashed ``schedule`` later, and a nonsense ``timezone``, a
negative ``reminder_minutes_before`` or a misspelt key were accepted silently.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from sqlmodel import Session

from coordinator_tui import cli
from coordinator_tui.config import load_settings
from coordinator_tui.config_schema import SettingsFile
from coordinator_tui.db import Database
from coordinator_tui.settings import SERVICE_WIDE_KEYS, Settings, SettingsError
from tests.export_data import Seed, seed_clinic
from tests.safety_helpers import REPO, child_env

FIRST_LINE = "# the service's settings\n"  # so that the value under test is on line 2

BAD_VALUES = [
    ('adult_day_end = "xx"', "adult_day_end", "must be a time of day as HH:MM, such as 17:00 (got 'xx')"),
    ('child_day_end = "25:00"', "child_day_end", "must be a time of day as HH:MM"),
    ('child_day_end = "1600"', "child_day_end", "must be a time of day as HH:MM"),
    ('child_day_end = "16:00 "', "child_day_end", "must be a time of day as HH:MM"),
    ("adult_day_end = 17", "adult_day_end", "must be text in quotes, not 17"),
    ("adult_day_end = 17:00:00", "adult_day_end", "must be text in quotes"),
    ('timezone = "Mars/Olympus_Mons"', "timezone", "is not a time zone name such as Europe/London"),
    ('timezone = "Europe"', "timezone", "is not a time zone name"),
    ('timezone = "../../etc/passwd"', "timezone", "is not a time zone name"),
    ('timezone = ""', "timezone", "is not a time zone name"),
    ("reminder_minutes_before = -30", "reminder_minutes_before", "must be at least 0 (got -30)"),
    ("reminder_minutes_before = 1.5", "reminder_minutes_before", "must be a whole number, not 1.5"),
    ('reminder_minutes_before = "60"', "reminder_minutes_before", "must be a whole number, not '60'"),
    ("reminder_minutes_before = true", "reminder_minutes_before", "must be a whole number, not True"),
    ("reminder_minutes_before = 99999999999", "reminder_minutes_before", "must be at most 40320"),
    ("minutes_between_buildings = -1", "minutes_between_buildings", "must be at least 0 (got -1)"),
    ("minutes_between_buildings = 600", "minutes_between_buildings", "must be at most 120 (got 600)"),
    ('service_name = "  "', "service_name", "is required"),
    ('service_name = "Hub \\u202e"', "service_name", "contains a right-to-left override (U+202E)"),
    ('backup_dir = "/tmp/a\\u0000b"', "backup_dir", "contains a null character (U+0000)"),
    ("export_dir = 2026-11-25", "export_dir", "must be text in quotes"),
    ('adult_day_ned = "15:00"', "adult_day_ned", "unknown key 'adult_day_ned' (did you mean 'adult_day_end'?)"),
    ("colour = 'blue'", "colour", "unknown key 'colour' (known keys: service_name, timezone,"),
]


def write_settings(folder: Path, text: str) -> Path:
    path = folder / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("line", "key", "reason"), BAD_VALUES)
def test_each_bad_value_is_one_line_naming_file_line_key_and_reason(
    tmp_path: Path, line: str, key: str, reason: str
) -> None:
    path = write_settings(tmp_path, FIRST_LINE + line + "\n")
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    message = str(info.value)
    assert message.startswith(f"settings file {path}, line 2: "), message
    assert f"'{key}'" in message and reason in message, message
    assert "\n" not in message


def test_every_problem_of_the_file_in_one_line_in_line_order(tmp_path: Path) -> None:
    path = write_settings(tmp_path, 'timezone = "Nowhere"\nadult_day_end = "5pm"\nreminder_minutes_before = -1\n')
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    assert re.findall(r"line (\d+): '(\w+)'", str(info.value)) == [
        ("1", "timezone"),
        ("2", "adult_day_end"),
        ("3", "reminder_minutes_before"),
    ]


def test_a_key_set_as_a_table_is_named_with_its_line(tmp_path: Path) -> None:
    path = write_settings(tmp_path, FIRST_LINE + "[timezone]\nname = 'Europe/London'\n")
    with pytest.raises(SettingsError, match=r", line 2: 'timezone' must be text in quotes"):
        load_settings(path)


def test_not_toml_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = write_settings(tmp_path, FIRST_LINE + "timezone = \n")
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    assert str(info.value) == f"settings file {path} is not valid TOML: Invalid value (line 2)"


def test_good_values_are_read(tmp_path: Path) -> None:
    path = write_settings(
        tmp_path,
        'service_name = "  Regional Rare Disease Hub "\ntimezone = "UTC"\nchild_day_end = "9:30"\n'
        "reminder_minutes_before = 0\nminutes_between_buildings = 0\n",
    )
    assert load_settings(path) == Settings(
        service_values={
            "service_name": "Regional Rare Disease Hub",
            "timezone": "UTC",
            "child_day_end": "9:30",
            "reminder_minutes_before": 0,
            "minutes_between_buildings": 0,
        }
    )
    assert load_settings(tmp_path / "absent.toml") == Settings()


def test_a_workstations_own_values_are_kept_apart_from_the_services(tmp_path: Path) -> None:
    path = write_settings(tmp_path, 'export_dir = "/srv/out"\nbackup_dir = "/srv/backups"\n')
    assert load_settings(path) == Settings(export_dir="/srv/out", backup_dir="/srv/backups")


def test_the_readme_example_is_a_valid_settings_file(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = re.search(r"Settings \(`settings.toml`\):\s*```toml\n(.*?)```", readme, re.DOTALL)
    assert example is not None
    assert load_settings(write_settings(tmp_path, example.group(1))) == Settings()


def test_the_file_model_has_every_setting_and_every_older_service_wide_key() -> None:
    own = [f.name for f in fields(Settings) if f.name != "service_values"]
    assert sorted(SettingsFile.model_fields) == sorted([*own, *SERVICE_WIDE_KEYS])
    assert SettingsFile().model_dump(include=set(own)) == {name: getattr(Settings(), name) for name in own}


def test_pydantic_is_not_loaded_to_start_without_a_settings_file(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import coordinator_tui.cli as cli\n"
        "cli.build_parser().parse_args([])\n"
        "from coordinator_tui.config import load_settings\n"
        "load_settings()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'pydantic', 'pydantic_core'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env(tmp_path), check=True
    )
    assert result.stdout.strip() == "[]"


PYDANTIC_LOADED_BY_LOAD_SETTINGS = (
    "import sys\n"
    "from coordinator_tui.config import load_settings\n"
    "settings = load_settings()\n"
    "print(settings.service_values['service_name'], settings.service_values['adult_day_end'])\n"
    "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in {'pydantic', 'pydantic_core'}}))\n"
)


def test_a_settings_file_checked_once_is_not_checked_again_until_it_changes(tmp_path: Path) -> None:
    """The first start with a settings file checks it (pydantic); the next starts with the same file reuse the
    checked values without loading pydantic (it would delay the first frame); an edited file is checked again."""
    config = tmp_path / "xdg-config" / "coordinator-tui"
    config.mkdir(parents=True)
    settings = write_settings(config, 'service_name = "  Northshire Rare Disease Service "\nadult_day_end = "16:30"\n')

    def start() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", PYDANTIC_LOADED_BY_LOAD_SETTINGS],
            capture_output=True,
            text=True,
            env=child_env(tmp_path),
        )

    first, second = start(), start()
    assert first.stdout == "Northshire Rare Disease Service 16:30\n['pydantic', 'pydantic_core']\n"
    assert second.stdout == "Northshire Rare Disease Service 16:30\n[]\n"
    remembered = tmp_path / "xdg-data" / "coordinator-tui" / "settings-checked.json"
    assert remembered.stat().st_mode & 0o777 == 0o600

    settings.write_text('service_name = "Northshire"\nadult_day_end = "xx"\n', encoding="utf-8")
    edited = start()
    assert edited.returncode == 1
    assert "'adult_day_end' must be a time of day as HH:MM" in edited.stderr


def test_remembered_values_are_used_only_for_the_same_file_text(tmp_path: Path) -> None:
    path = write_settings(tmp_path, 'adult_day_end = "16:30"\n')
    assert load_settings(path).service_values["adult_day_end"] == "16:30"
    remembered = tmp_path / "xdg-data" / "coordinator-tui" / "settings-checked.json"
    record = remembered.read_text(encoding="utf-8")
    remembered.write_text(record.replace("16:30", "16:00"), encoding="utf-8")  # an edited record is not trusted
    assert load_settings(path).service_values["adult_day_end"] == "16:30"
    path.write_text('adult_day_end = "16:45"\n', encoding="utf-8")
    assert load_settings(path).service_values["adult_day_end"] == "16:45"
    remembered.write_text("not json", encoding="utf-8")
    assert load_settings(path).service_values["adult_day_end"] == "16:45"


# ------------------------------------------------------------------------------------------------------------
# Through the commands
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def seeded(db: Database, session: Session) -> Seed:
    seed = seed_clinic(session)
    session.commit()
    return seed


@pytest.mark.parametrize(("line", "key", "reason"), BAD_VALUES)
def test_schedule_refuses_each_bad_value_in_one_line(
    db: Database,
    seeded: Seed,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    line: str,
    key: str,
    reason: str,
) -> None:
    path = write_settings(tmp_path, FIRST_LINE + line + "\n")
    monkeypatch.setenv("COORDINATOR_SETTINGS", str(path))
    assert db.path is not None
    assert cli.main(["schedule", "--clinic", str(seeded.clinic_id), "--db", str(db.path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"coordinator-tui: settings file {path}, line 2: ") and reason in err


def test_real_commands_exit_1_with_one_line_and_no_traceback(db: Database, seeded: Seed, tmp_path: Path) -> None:
    assert db.path is not None
    db.dispose()
    config = tmp_path / "xdg-config" / "coordinator-tui"
    config.mkdir(parents=True)
    cases = [
        (
            'adult_day_end = "xx"\n',  # used to pass and crash the solver's set-up
            ["schedule", "--clinic", str(seeded.clinic_id), "--db", str(db.path)],
            "line 1: 'adult_day_end' must be a time of day as HH:MM, such as 17:00 (got 'xx')",
        ),
        (
            'timezone = "Mars/Olympus_Mons"\n',  # the app: refused before the screen opens
            ["--db", str(db.path)],
            "line 1: 'timezone' is not a time zone name such as Europe/London (got 'Mars/Olympus_Mons')",
        ),
        (
            "reminder_minutes_before = -30\n",  # used to be clamped to 0 without a word
            ["export", "--clinic", str(seeded.clinic_id), "--out", str(tmp_path / "out"), "--db", str(db.path)],
            "line 1: 'reminder_minutes_before' must be at least 0 (got -30)",
        ),
    ]
    for text, argv, reason in cases:
        settings = write_settings(config, text)
        result = subprocess.run(
            [sys.executable, "-m", "coordinator_tui", *argv],
            capture_output=True,
            text=True,
            env=child_env(tmp_path),
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        assert result.returncode == 1, (argv, result.stderr)
        assert result.stdout == ""
        assert result.stderr == f"coordinator-tui: settings file {settings}, {reason}\n"
    assert not (tmp_path / "out").exists()
