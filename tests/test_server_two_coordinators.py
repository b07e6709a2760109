"""Two coordinators on the PostgreSQL server, each a process of its own, 200 saves each: nothing is lost, and every
stale save is refused naming who changed the record and when (the server version of ``test_concurrency``).

Each process does what the patient form does: it reads the patient (the form opens, one read), then saves a change
with the version it read (another unit of work), through the app's own services, as its own user. On the same
patient the two interleave, so some saves are stale; on different patients none is. PostgreSQL only: without a
server configured the tests are skipped with the standard reason."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from coordinator_tui.db import open_database
from coordinator_tui.models import AuditAction, AuditEvent, Patient
from tests import postgres_server
from tests.safety_helpers import add_patient, child_env

SAVES = 200

WORKER = """
import json, sys
from coordinator_tui.db import open_database
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.people import patients
from coordinator_tui.services.safety import audit

url, user, patient_id, saves = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
audit.set_current_user(user)
db = open_database(url, create=False)
accepted, refused = [], []
print("ready", flush=True)
sys.stdin.readline()  # both processes start saving together
for step in range(saves):
    with db.read_session() as s:  # the form opens: the version it shows
        opened = patients.get_patient(s, patient_id).version
    note = f"{user} step {step}"
    try:
        with db.session() as s:
            patients.update_patient(s, patient_id, {"internal_notes": note}, expected_version=opened)
        accepted.append(note)
    except ConcurrentEditError as exc:
        refused.append([exc.changed_by, exc.changed_at, str(exc)])
db.dispose()
print(json.dumps({"accepted": accepted, "refused": refused}), flush=True)
"""


@pytest.fixture
def server_db(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database on the server holding patients 1, 2 and 3 (skipped without a server)."""
    server = postgres_server.require_server(request.config)
    with postgres_server.fresh_database(server) as url:
        db = open_database(url)
        try:
            with db.session() as s:
                for seed in (1, 2, 3):
                    add_patient(s, seed)
        finally:
            db.dispose()
        yield url


def _run_two(url: str, tmp_path: Path, alice_patient: int, bob_patient: int) -> dict[str, dict[str, list]]:
    processes = {
        user: subprocess.Popen(
            [sys.executable, "-c", WORKER, url, user, str(patient), str(SAVES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(tmp_path),
        )
        for user, patient in (("alice", alice_patient), ("bob", bob_patient))
    }
    try:
        for proc in processes.values():
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in processes.values():
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = {}
        for user, proc in processes.items():
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            results[user] = json.loads(out.strip().splitlines()[-1])
        return results
    finally:
        for proc in processes.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _updates(url: str, patient_id: int) -> tuple[Patient, list[AuditEvent]]:
    db = open_database(url, create=False)
    try:
        with db.read_session() as s:
            patient = s.exec(select(Patient).where(Patient.id == patient_id)).one()
            events = s.exec(
                select(AuditEvent)
                .where(AuditEvent.entity == "patient", AuditEvent.entity_id == str(patient_id))
                .where(AuditEvent.action == AuditAction.UPDATE)
                .order_by(AuditEvent.id)  # type: ignore[arg-type]
            ).all()
        return patient, list(events)
    finally:
        db.dispose()


def _accepted_notes(events: list[AuditEvent], user: str) -> list[str]:
    return [json.loads(e.after)["internal_notes"] for e in events if e.user == user]


def test_two_coordinators_save_the_same_patient(server_db: str, tmp_path: Path) -> None:
    results = _run_two(server_db, tmp_path, 1, 1)
    patient, events = _updates(server_db, 1)
    accepted = {user: result["accepted"] for user, result in results.items()}
    refused = {user: result["refused"] for user, result in results.items()}
    for user in ("alice", "bob"):
        assert len(accepted[user]) + len(refused[user]) == SAVES
        # Every accepted save is in the audit log, in the order it was made; a refused one left no trace.
        assert _accepted_notes(events, user) == accepted[user]
    # Nothing lost: each accepted save moved the version on by one, and the last one is what the record holds.
    assert patient.version == 1 + len(accepted["alice"]) + len(accepted["bob"])
    assert patient.internal_notes == json.loads(events[-1].after)["internal_notes"]
    assert len(events) == patient.version - 1
    # Every stale save was refused naming the other coordinator and when they saved.
    assert refused["alice"] or refused["bob"], "the two never interleaved: the test proves nothing"
    for user, other in (("alice", "bob"), ("bob", "alice")):
        for changed_by, changed_at, message in refused[user]:
            assert changed_by == other and changed_at == "25/11/2026 10:00"
            assert f"changed by {other} at 25/11/2026 10:00" in message and "not saved" in message


def test_two_coordinators_save_different_patients(server_db: str, tmp_path: Path) -> None:
    results = _run_two(server_db, tmp_path, 2, 3)
    for user, patient_id in (("alice", 2), ("bob", 3)):
        assert results[user]["refused"] == [], "no save on another patient is ever stale"
        assert len(results[user]["accepted"]) == SAVES
        patient, events = _updates(server_db, patient_id)
        assert patient.version == 1 + SAVES
        assert _accepted_notes(events, user) == results[user]["accepted"] and len(events) == SAVES
        assert patient.internal_notes == f"{user} step {SAVES - 1}"
    untouched, events = _updates(server_db, 1)
    assert untouched.version == 1 and events == []
