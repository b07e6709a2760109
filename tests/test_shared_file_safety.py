"""Several coordinators on one SQLite file, each in a process of its own: no confirmed save is ever lost.

The sequence that once lost saves and damaged an index (issue 12): the app's first opening of the day makes the
daily backup (which read the live file's header with Python's ``open()``: closing that descriptor dropped every
SQLite lock the process held on the file), a second process writes and closes last (so it believed it was the
only one, checkpointed and deleted the write-ahead log under the others), and a third coordinator's confirmed
saves were gone.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from coordinator_tui import cli
from coordinator_tui.services.safety import backup
from tests.safety_helpers import REPO, busiest_clinic, child_env, run_cli, write_demo_database

COORDINATOR = REPO / "tests" / "coordinator_process.py"


class Coordinator:
    """A coordinator process driven line by line (tests/coordinator_process.py)."""

    def __init__(self, db: Path, tmp_path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(COORDINATOR), str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(tmp_path),
        )

    def do(self, command: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        assert answer.startswith("ok"), f"{command!r} answered {answer!r}; stderr: {self._stderr()}"
        return answer

    def close(self) -> None:
        self.do("close")
        self.process.wait(timeout=30)
        assert self.process.returncode == 0, self._stderr()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def _stderr(self) -> str:
        if self.process.poll() is None:
            return "(still running)"
        assert self.process.stderr is not None
        return self.process.stderr.read()


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    return write_demo_database(tmp_path / "data" / "coordinator.db")


def _notes_on_disk(path: Path, patient_ids: list[int]) -> dict[int, str]:
    """What a fresh reader sees in the file once every coordinator has gone (read through SQLite, read-only)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        marks = ",".join("?" * len(patient_ids))
        rows = conn.execute(f"SELECT id, internal_notes FROM patient WHERE id IN ({marks})", patient_ids).fetchall()
    finally:
        conn.close()
    return {int(pid): str(notes) for pid, notes in rows}


def _integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    finally:
        conn.close()


@pytest.mark.slow
def test_daily_backup_then_a_second_writer_closing_last_loses_no_save(demo_file: Path, tmp_path: Path) -> None:
    clinic = busiest_clinic(demo_file)
    a = Coordinator(demo_file, tmp_path)
    c = Coordinator(demo_file, tmp_path)
    try:
        a.do("open")
        assert a.do("backup") == "ok backup made"  # the first opening of the day
        confirmed: dict[int, str] = {}
        answer = a.do("save 1")
        confirmed[1] = answer.split(" ", 2)[2]
        # A second process that writes (it records what it exported) and closes the database last.
        exported = run_cli(
            ["export", "--clinic", str(clinic), "--db", str(demo_file), "--out", str(tmp_path / "out")], tmp_path
        )
        assert exported.returncode == 0, exported.stderr
        assert exported.stdout.strip(), "the export wrote files (and so wrote to the database)"
        for patient_id in range(2, 7):
            confirmed[patient_id] = a.do(f"save {patient_id}").split(" ", 2)[2]
        c.do("open")
        for patient_id in (10, 11):
            confirmed[patient_id] = c.do(f"save {patient_id}").split(" ", 2)[2]
        c.close()
        a.close()
    finally:
        a.kill()
        c.kill()
    assert _notes_on_disk(demo_file, sorted(confirmed)) == confirmed
    assert _integrity(demo_file) == ["ok"]
    assert cli.main(["check", "--db", str(demo_file)]) == 0


@pytest.mark.slow
def test_restore_is_refused_while_the_app_holds_the_database_open_backup_or_not(
    demo_file: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    made = backup.make_backup(demo_file, tmp_path / "copies")
    made.rename(other)
    for with_backup in (True, False):
        app = Coordinator(demo_file, tmp_path)
        try:
            app.do("open")
            if with_backup:
                app.do("backup")
            before = demo_file.read_bytes()
            refused = run_cli(["restore", str(other), "--db", str(demo_file)], tmp_path)
            assert refused.returncode == 1, refused.stdout
            assert "is open in Coordinator TUI or another program" in refused.stderr
            assert len(refused.stderr.strip().splitlines()) == 1
            assert demo_file.read_bytes() == before, "a refused restore changes nothing, byte for byte"
            # The app goes on saving into the one database file there is.
            note = app.do("save 3").split(" ", 2)[2]
            app.close()
        finally:
            app.kill()
        assert _notes_on_disk(demo_file, [3]) == {3: note}
        assert _integrity(demo_file) == ["ok"]


# Every place the package opens a file with anything but SQLite, and why it is never a database file that a
# connection may have open. A new one makes this test fail until it is checked and listed here.
NON_SQLITE_OPENS = {
    ("coordinator_tui/db.py", "os.open("): "create_private_file: a new file made with O_EXCL (nothing has it open)",
    (
        "coordinator_tui/services/safety/backup.py",
        "os.open(",
    ): "fsync of a folder, and of the pre-restore copy just made",
    ("coordinator_tui/export/atomic.py", "os.open("): "an itinerary's temporary file (O_EXCL), and fsync of a folder",
    ("coordinator_tui/export/atomic.py", "os.fdopen("): "the itinerary's temporary file",
    ("coordinator_tui/logging_setup.py", "os.open("): "the log file and crash reports",
    ("coordinator_tui/config.py", "os.fdopen("): "settings.toml's new text: a temporary file (mkstemp) renamed over it",
    ("coordinator_tui/logging_setup.py", "open("): "the log file and crash reports (from their descriptors)",
    ("coordinator_tui/server_dump.py", "os.open("): "a new server dump's temporary file (O_EXCL)",
    (
        "coordinator_tui/services/imports/reading.py",
        ".read_bytes(",
    ): "a spreadsheet to import, after refuse_database asked SQLite that it is no database",
    (
        "coordinator_tui/services/imports/fhir_reader.py",
        ".read_bytes(",
    ): "a FHIR file to import, after refuse_database asked SQLite that it is no database",
}
_FILE_OPENER = re.compile(
    r"(?P<op>(?<![\w.])open\(|os\.open\(|os\.fdopen\(|(?<!os)\.open\(|\.read_bytes\(|\.write_bytes\(|shutil\.copy|mmap\.)"
)


def test_nothing_but_sqlite_opens_a_database_file() -> None:
    """A guard for the rule behind issue 12: reading even one byte of a live database with ``open()`` drops the
    process's SQLite locks on it when the descriptor closes. Every other way the package opens files is listed."""
    found: set[tuple[str, str]] = set()
    for source in sorted((REPO / "coordinator_tui").rglob("*.py")):
        name = source.relative_to(REPO).as_posix()
        for line in source.read_text(encoding="utf-8").splitlines():
            code = line.split("#", 1)[0]
            if code.lstrip().startswith(('"', "'", "`")):
                continue  # a docstring line
            for match in _FILE_OPENER.finditer(code):
                found.add((name, match.group("op")))
    assert found == set(NON_SQLITE_OPENS), "a new way of opening files: check it never touches a database file"
