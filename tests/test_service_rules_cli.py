"""``coordinator-tui service rules``: prints what regenerating everyone with the new milestone rules would change
and writes nothing; with ``--yes`` it stores the rules and regenerates every checklist, printing the progress."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from coordinator_tui.db import Database
from coordinator_tui.models import TransitionItem
from coordinator_tui.services.service_details import service_details
from coordinator_tui.services.transition.milestone_rules import load_rules
from coordinator_tui.services.transition.rules_change import regenerate_everyone
from tests.cli_helpers import cli
from tests.postgres_server import both_databases
from tests.test_rules_change import BIRTHDAYS, NORTHSHIRE_RULES, add_patients, what_is_stored

pytestmark = both_databases


def welcome_packs(db: Database) -> int:
    with db.read_session() as session:
        query = select(TransitionItem).where(TransitionItem.rule_id == "northshire_welcome_pack")
        return len(session.exec(query).all())


def test_rules_prints_the_preview_and_yes_applies_it(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db.write(add_patients, BIRTHDAYS[:3])
    regenerate_everyone(db, load_rules())
    path = tmp_path / "northshire.toml"
    path.write_text(NORTHSHIRE_RULES, encoding="utf-8")
    before = db.read(what_is_stored)

    code, out, err = cli(capsys, "service", "rules", str(path), "--db", db_url)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Rules: northshire.toml, layered on the shipped rules (")
    assert lines[1] == "Regenerating 3 patients' checklists would change 3 of them."
    assert lines[2].startswith("Items: 3 added, ")
    assert lines[-1] == "Nothing written: add --yes to store the rules and regenerate everyone's checklists."
    assert db.read(what_is_stored) == before

    code, out, err = cli(capsys, "service", "rules", str(path), "--yes", "--db", db_url)
    assert (code, err) == (0, "")
    assert "Regenerated 3 of 3 patients' checklists" in out
    assert out.splitlines()[-1].startswith("Checklists regenerated for 3 patients: 3 changed (3 items added")
    assert welcome_packs(db) == 3
    assert service_details(db).milestone_rules_name == "northshire.toml"

    code, out, _ = cli(capsys, "service", "rules", "--regenerate", "--db", db_url)
    assert code == 0 and "Regenerating 3 patients' checklists would change nothing." in out

    code, out, _ = cli(capsys, "service", "rules", "--clear", "--yes", "--db", db_url)
    assert code == 0 and out.startswith("Rules: the shipped rules alone (")
    assert welcome_packs(db) == 0 and service_details(db).milestone_rules == ""


def test_rules_needs_a_file_or_clear_or_regenerate(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "service", "rules", "--yes", "--db", db_url)
    assert code == 2 and out == ""
    assert "one of the arguments PATH --clear --regenerate is required" in err
