"""Start-up stays fast: parsing the command line and building the app and its home screen load no database stack.

(The database opens in the background once the first screen shows; see commands/app.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import copy_database

# What the first frame must not wait for: the database stack, the solver, and pydantic (SQLModel's; the settings
# file's checker loads it only when there is a settings file).
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "ortools", "pydantic", "coordinator_tui.models", "coordinator_tui.db")


def test_app_start_path_imports_neither_sqlalchemy_nor_alembic() -> None:
    code = (
        "import sys\n"
        "import coordinator_tui.cli as cli\n"
        "cli.build_parser().parse_args([])\n"
        "import coordinator_tui.commands.app\n"
        "from coordinator_tui.ui.app import CoordinatorApp\n"
        "import coordinator_tui.ui.screens.patients\n"
        f"heavy = sorted(m for m in sys.modules if m in {HEAVY!r} or m.split('.')[0] in {HEAVY!r})\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


# Runs ``cli.main(["--db", FILE])`` as the console script does, with the app headless: at the first frame it notes
# which heavy modules are loaded and how many patients the list shows; once the database is open, whether the
# audit log's guard is installed. Then it quits.
REAL_COMMAND = textwrap.dedent(
    """
    import asyncio, json, sys
    from textual.app import App
    from coordinator_tui import cli
    from coordinator_tui.ui.app import CoordinatorApp

    report_path, database, heavy = sys.argv[1], sys.argv[2], tuple(sys.argv[3].split(","))
    report = {}
    display = App._display

    def first_frame(app, screen, renderable):
        if renderable is not None and "frame" not in report:
            report["frame"] = sorted(m for m in sys.modules if m in heavy or m.split(".")[0] in heavy)
            report["rows"] = screen.query_one("#patients-table").row_count
        display(app, screen, renderable)

    async def once_open(pilot):
        await asyncio.to_thread(lambda: pilot.app.database)
        from coordinator_tui.services.safety import audit_guard

        report["guard"] = audit_guard.installed()
        report["title"] = pilot.app.title
        report["service_values"] = pilot.app.settings.service_values
        pilot.app.exit(0)

    App._display = first_frame
    CoordinatorApp.run = lambda app: App.run(app, headless=True, size=(120, 40), auto_pilot=once_open)
    status = cli.main(["--db", database])
    with open(report_path, "w") as out:
        json.dump({**report, "status": status}, out)
    """
)


def test_the_command_a_nurse_types_shows_patients_before_loading_the_database_stack(
    demo_template: Path, tmp_path: Path
) -> None:
    """``coordinator-tui --db FILE`` on a database at the current schema: the first frame shows the first patients,
    and neither logging nor the audit guard has loaded the database stack by then; the guard is installed once the
    database opens, before anything reads it."""
    database = copy_database(demo_template, tmp_path / "demo.db")
    report = tmp_path / "report.json"
    command = [sys.executable, "-c", REAL_COMMAND, str(report), str(database), ",".join(HEAVY)]
    subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    seen = json.loads(report.read_text())
    assert seen == {
        "frame": [],
        "rows": 40,
        "guard": True,
        "title": "National Alström Syndrome Service",
        "service_values": {},
        "status": 0,
    }


def test_with_a_service_settings_file_the_first_frame_waits_for_no_checker(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service runs with a settings file. Its first start checks it (pydantic, before the app opens); every later
    start with the same file shows patients with no checker loaded, on the values checked before."""
    database = copy_database(demo_template, tmp_path / "demo.db")
    settings = tmp_path / "settings.toml"
    settings.write_text('service_name = "Northshire Rare Disease Service"\nadult_day_end = "16:30"\n')
    monkeypatch.setenv("COORDINATOR_SETTINGS", str(settings))
    seen = []
    for run in ("first", "second"):
        report = tmp_path / f"{run}.json"
        command = [sys.executable, "-c", REAL_COMMAND, str(report), str(database), ",".join(HEAVY)]
        subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
        seen.append(json.loads(report.read_text()))
    assert "pydantic" in seen[0]["frame"] and seen[0]["rows"] == 40
    assert seen[1] == {
        "frame": [],
        "rows": 40,
        "guard": True,
        # The file's service-wide values are read (and checked) but not used: the demo database has its service's
        # details already, so they are ignored (with a warning); the title is the database's service name.
        "title": "National Alström Syndrome Service",
        "service_values": {"service_name": "Northshire Rare Disease Service", "adult_day_end": "16:30"},
        "status": 0,
    }


def test_head_revision_read_from_files_matches_alembic() -> None:
    from coordinator_tui.db import head_revision
    from coordinator_tui.db_file import scanned_head_revision

    assert scanned_head_revision() == head_revision()
