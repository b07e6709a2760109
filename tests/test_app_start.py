"""What the terminal shows while ``coordinator-tui --demo`` gets the app ready: never a blank screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordinator_tui import cli
from coordinator_tui.commands import app as app_command
from coordinator_tui.db import Database
from coordinator_tui.services.people import patients
from coordinator_tui.services.safety import audit_guard


def test_demo_says_what_it_is_doing_while_it_builds_the_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, object] = {}
    build = app_command._demo_database

    def building(folder: Path) -> Database:
        seen["while building"] = capsys.readouterr().err
        return build(folder)

    def opening(settings: object, **database: Database) -> int:  # instead of the app itself
        seen["when the app opens"] = capsys.readouterr().err
        with database["database"].read_session() as session:
            seen["patients"] = len(patients.list_patients(session))
        seen["guard"] = audit_guard.installed()
        return 0

    was_installed = audit_guard.installed()
    monkeypatch.setattr(app_command, "_demo_database", building)
    monkeypatch.setattr(app_command, "_run", opening)
    try:
        assert cli.main(["--demo"]) == 0
    finally:
        if not was_installed:
            audit_guard.uninstall()
    assert seen == {
        "while building": "coordinator-tui: Building the demo database (40 fictional patients)…\n",
        "when the app opens": "coordinator-tui: Opening the app…\n",
        "patients": 40,
        "guard": True,
    }
    assert capsys.readouterr().err == ""
