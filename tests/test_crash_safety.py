"""Crash safety: a real process writing through the services is killed (SIGKILL) at random moments, repeatedly.

After every kill the database must pass ``coordinator-tui check`` and hold every change the process had
confirmed (printed after its commit returned). A bulk import killed half-way leaves all or nothing.
"""

from __future__ import annotations

import random
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coordinator_tui import cli
from coordinator_tui.db import open_database
from tests.safety_helpers import REPO, child_env, read_only_query, run_cli

pytestmark = pytest.mark.slow

WRITER = REPO / "tests" / "crash_writer.py"
ROUNDS = 10


def _start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
    )


def _go(proc: subprocess.Popen[str]) -> None:
    """Let a writer started with --wait (and already imported) begin."""
    _wait_for_line(proc, "loaded")
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()


def _wait_for_line(proc: subprocess.Popen[str], expected: str, timeout: float = 60) -> None:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            line = proc.stdout.readline()
            if line.strip() == expected:
                return
            if not line:
                break
    proc.kill()
    raise AssertionError(f"the writer did not start: {proc.stderr.read() if proc.stderr else ''}")


def _next_line(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    """The writer's next complete line (a confirmed change), without its newline."""
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    if not selector.select(timeout=timeout):
        proc.kill()
        raise AssertionError("the writer confirmed nothing")
    line = proc.stdout.readline()
    assert line.endswith("\n"), f"the writer stopped: {line!r}"
    return line[:-1]


def _kill(proc: subprocess.Popen[str]) -> tuple[list[str], bool]:
    """SIGKILL, then the complete lines it had printed, and whether it had already finished."""
    proc.send_signal(signal.SIGKILL)
    out, _err = proc.communicate(timeout=30)
    lines = out.split("\n")
    complete = lines[:-1]  # the last piece has no newline: a half-printed line is not a confirmation
    return complete, "done" in complete


def _check_passes(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["check", "--db", str(db_path)])
    out = capsys.readouterr()
    assert status == 0, out.out + out.err


def test_killed_writer_keeps_every_confirmed_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "crash.db"
    rng = random.Random(7_2026)
    confirmed: set[int] = set()
    unconfirmed: set[int] = set()
    notes: dict[int, str] = {}
    killed_mid_run = 0

    def writer(round_no: int) -> subprocess.Popen[str]:
        return _start(tmp_path, str(WRITER), "--wait", "many", str(db_path), str(round_no * 9_000 + 1), "8000")

    upcoming = writer(0)
    for round_no in range(ROUNDS):
        proc = upcoming
        _go(proc)
        _wait_for_line(proc, "ready")
        first = _next_line(proc)  # every round kills a writer that has confirmed something, however busy the machine
        time.sleep(rng.uniform(0.05, 0.35))
        lines, finished = _kill(proc)
        lines = [first, *lines]
        if round_no + 1 < ROUNDS:
            upcoming = writer(round_no + 1)  # imports while this round is checked
        killed_mid_run += not finished
        for line in lines:
            patient_id, previous_id, note = line.split(" ", 2)
            confirmed.add(int(patient_id))
            if int(previous_id):
                notes[int(previous_id)] = note
        _check_passes(db_path, capsys)
        stored = {int(r[0]) for r in read_only_query(db_path, "SELECT id FROM patient")}
        missing = confirmed - stored
        assert not missing, f"round {round_no}: confirmed patients lost: {sorted(missing)[:5]}"
        assert len(stored - confirmed - unconfirmed) <= 1, "at most the one transaction committed just before the kill"
        unconfirmed = stored - confirmed
        stored_notes = dict(read_only_query(db_path, "SELECT id, internal_notes FROM patient"))
        wrong = {pid: note for pid, note in notes.items() if stored_notes.get(pid) != note}
        assert not wrong, f"round {round_no}: confirmed corrections lost: {list(wrong)[:5]}"
        with_contact = {int(r[0]) for r in read_only_query(db_path, "SELECT DISTINCT patient_id FROM contact")}
        assert confirmed <= with_contact, "a confirmed patient lost the contact saved with it"
        audited = {
            int(r[0])
            for r in read_only_query(
                db_path, "SELECT entity_id FROM auditevent WHERE entity = 'patient' AND action IN ('CREATE', 'create')"
            )
        }
        assert confirmed <= audited, "a confirmed change has no audit event"
    assert len(confirmed) >= ROUNDS, "the writer should confirm some changes in each round"
    assert killed_mid_run == ROUNDS, "every round must be killed while still writing"
    # And the real command, in its own process, agrees.
    result = run_cli(["check", "--db", str(db_path)], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_killed_bulk_import_is_all_or_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "bulk.db"
    rng = random.Random(11)
    size = 500
    expected = 0
    killed_mid_import = 0
    for round_no in range(3):
        proc = _start(tmp_path, str(WRITER), "bulk", str(db_path), str(round_no * 10_000 + 1), str(size))
        _wait_for_line(proc, "ready")
        time.sleep(rng.uniform(0.05, 0.6))
        _lines, finished = _kill(proc)
        _check_passes(db_path, capsys)
        count = int(read_only_query(db_path, "SELECT count(*) FROM patient")[0][0])
        assert count in (expected, expected + size), f"half an import is in the database ({count - expected})"
        if finished:
            assert count == expected + size
        killed_mid_import += not finished
        expected = count
    assert killed_mid_import, "at least one import must be killed while it is writing"


def test_an_import_killed_while_making_checklists_keeps_its_patients_and_the_next_start_makes_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``import patients`` saves its patients in one transaction, then makes their checklists in batches: killed
    between the two, every patient is there, the file is sound, and what the app's start-up runs makes the rest."""
    from coordinator_tui.services.transition.checklists import rules_for_saving
    from coordinator_tui.services.transition.checklists_to_make import (
        imported_patients_without_items,
        make_missing_checklists,
    )
    from tests.import_data import write_caseload

    size = 1500
    patients_csv, _contacts = write_caseload(tmp_path, size)
    for attempt in range(3):
        db_path = tmp_path / f"import-{attempt}.db"
        open_database(str(db_path), create=True).dispose()
        proc = _start(tmp_path, "-m", "coordinator_tui", "import", "patients", str(patients_csv), "--db", str(db_path))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if int(read_only_query(db_path, "SELECT count(*) FROM patient")[0][0]) == size:
                break  # the patients' transaction is committed: the checklists' batches are under way
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        _check_passes(db_path, capsys)
        assert int(read_only_query(db_path, "SELECT count(*) FROM patient")[0][0]) == size
        db = open_database(str(db_path))
        try:
            rules = rules_for_saving(db).rules
            if not db.read(imported_patients_without_items, rules):
                continue  # only those the rules give no checklist were left: every batch had finished
            made = make_missing_checklists(db)
            assert made.stopped == "" and made.done > 0
            assert db.read(imported_patients_without_items, rules) == [], "everyone due a checklist has one"
            again = make_missing_checklists(db)
            assert (again.total, again.done) == (0, 0), "nothing more to make: the next start writes nothing"
        finally:
            db.dispose()
        _check_passes(db_path, capsys)
        return
    pytest.fail("the import finished every batch before it could be killed, three times")


def test_killed_demo_command_leaves_a_clean_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``demo --patients 2000`` writes in one transaction: killed at any moment, all or nothing."""
    rng = random.Random(3)
    for round_no in range(2):
        db_path = tmp_path / f"demo-{round_no}.db"
        proc = _start(tmp_path, "-m", "coordinator_tui", "demo", "--db", str(db_path), "--patients", "2000")
        time.sleep(rng.uniform(0.8, 2.5))
        _lines, finished = _kill(proc)
        if not db_path.exists():
            continue  # killed before the file was created: nothing to check
        db = open_database(str(db_path))  # opens (and finishes creating the schema) without complaint
        db.dispose()
        _check_passes(db_path, capsys)
        count = int(read_only_query(db_path, "SELECT count(*) FROM patient")[0][0])
        assert count in (0, 2000)
        if finished and proc.returncode == 0:
            assert count == 2000
