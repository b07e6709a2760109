"""A writer process for the crash-safety tests: it is killed with SIGKILL at random moments.

    python tests/crash_writer.py many DB START_SEED COUNT   # one transaction per change; prints each confirmed id
    python tests/crash_writer.py bulk DB START_SEED COUNT   # one transaction for COUNT patients (an import)

``many``: each transaction registers a patient with a contact, and corrects the previous patient's notes (an
update with expected version, so the audit log gets before/after). After the commit returns, it prints
``<patient id> <notes written to the previous patient>`` and flushes: a line on stdout is what the coordinator
would have seen confirmed on screen.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coordinator_tui.db import open_database
from coordinator_tui.services.people import contacts as contact_service
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.services.safety import audit
from tests.safety_helpers import patient_form


def many(db_path: str, start: int, count: int) -> None:
    db = open_database(db_path)
    print("ready", flush=True)
    previous: int | None = None
    for seed in range(start, start + count):
        with db.session() as s:
            patient = patient_service.create_patient(s, patient_service.parse_patient_form(patient_form(seed)))
            assert patient.id is not None
            contact_service.create_contact(
                s,
                patient.id,
                contact_service.parse_contact_form(
                    {"name": f"Testcontact{seed}", "preferred_method": "phone", "phone": "01632 960001"}
                ),
            )
            note = f"checked in run {start} step {seed}"
            if previous is not None:
                current = patient_service.get_patient(s, previous)
                patient_service.update_patient(s, previous, {"internal_notes": note}, expected_version=current.version)
        print(f"{patient.id} {previous or 0} {note}", flush=True)
        previous = patient.id
    db.dispose()
    print("done", flush=True)


def bulk(db_path: str, start: int, count: int) -> None:
    db = open_database(db_path)
    print("ready", flush=True)
    with db.session() as s:
        for seed in range(start, start + count):
            patient_service.create_patient(s, patient_service.parse_patient_form(patient_form(seed)))
    db.dispose()
    print("done", flush=True)


if __name__ == "__main__":
    audit.set_current_user("crash-writer")
    if "--wait" in sys.argv:  # imported and waiting: the test starts the next writer while it checks the last
        sys.argv.remove("--wait")
        print("loaded", flush=True)
        sys.stdin.readline()
    mode, path, first, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    {"many": many, "bulk": bulk}[mode](path, first, n)
