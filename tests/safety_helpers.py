"""Helpers for the data-safety tests (issue 7): synthetic people, file hashes, running the CLI."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlmodel import Session

from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.validation import nhs_check_digit

REPO = Path(__file__).resolve().parent.parent


def synthetic_nhs_number(seed: int) -> str:
    """A valid NHS number in the 999 test range (never issued to a real person), different for each seed < 100000."""
    assert 0 <= seed < 100_000
    for last in range(10):  # at most one choice of the ninth digit has no valid check digit
        first_nine = f"999{seed:05d}{last}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)
    raise AssertionError("unreachable")


def patient_form(seed: int, **overrides: str) -> dict[str, str]:
    form = {
        "nhs_number": synthetic_nhs_number(seed),
        "hospital_number": f"TST{seed:05d}",
        "given_name": f"Testgiven{seed}",
        "family_name": f"Testfamily{seed}",
        "date_of_birth": "14/03/2011",
    }
    form.update(overrides)
    return form


def add_patient(session: Session, seed: int, **overrides: str) -> int:
    patient = patient_service.create_patient(
        session, patient_service.parse_patient_form(patient_form(seed, **overrides))
    )
    assert patient.id is not None
    return patient.id


def write_demo_database(path: Path) -> Path:
    """A new database file at ``path`` holding the default demo data set (40 fictional patients), closed again."""
    from coordinator_tui.db import open_database
    from coordinator_tui.services.demo_data import load_demo

    db = open_database(str(path))
    try:
        with db.session() as s:
            load_demo(s)
    finally:
        db.dispose()
    return path


def read_only_query(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` read from a database file through SQLite, read-only (never another way: it would drop the
    locks of a process that has the file open)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def busiest_clinic(path: Path) -> int:
    """The id of the clinic with the most families attending, read from a database file (read-only, via SQLite)."""
    [(clinic_id,)] = read_only_query(
        path, "SELECT clinic_event_id FROM clinicattendance GROUP BY clinic_event_id ORDER BY count(*) DESC LIMIT 1"
    )
    return int(clinic_id)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def child_env(tmp_path: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a subprocess: the repo importable, data and config dirs inside the test's tmp_path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    env["COORDINATOR_FIXED_NOW"] = "2026-11-25T10:00:00+00:00"
    env.pop("COORDINATOR_DB", None)
    env.pop("COORDINATOR_SETTINGS", None)
    if extra:
        env.update(extra)
    return env


def run_cli(
    args: Sequence[str], tmp_path: Path, *, timeout: float = 60, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m coordinator_tui ARGS`` in a subprocess (a real process, as a coordinator would)."""
    return subprocess.run(
        [sys.executable, "-m", "coordinator_tui", *args],
        capture_output=True,
        text=True,
        env=child_env(tmp_path),
        timeout=timeout,
        **kwargs,
    )
