"""A coordinator in a process of its own, driven line by line on standard input (for the multi-process tests).

    python tests/coordinator_process.py DB

Commands, one per line; each answers one line on standard output once it is done (``ok …`` or ``error …``):

- ``open``: what the app does at start-up: ``open_database(DB, create=False)``;
- ``backup``: the first opening of the day: ``daily_backup_if_due(db, load_settings())``;
- ``save ID``: a confirmed save of patient ID, as the patient form does it (``update_patient`` with the version
  read in the same unit of work); answers ``ok ID <notes written>`` after the commit returned;
- ``read ID``: a screen's read of patient ID (answers ``ok ID <notes>``);
- ``close``: ``db.dispose()``, then the process exits.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coordinator_tui.config import load_settings
from coordinator_tui.db import Database, open_database
from coordinator_tui.errors import DatabaseError
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.services.safety.backup import daily_backup_if_due


def main(target: str) -> None:
    db: Database | None = None
    counter = 0
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == "open":
                db = open_database(target, create=False)
                print("ok open", flush=True)
            elif words[0] == "backup":
                assert db is not None
                made = daily_backup_if_due(db, load_settings())
                print(f"ok backup {'made' if made else 'none'}", flush=True)
            elif words[0] == "save":
                assert db is not None
                counter += 1
                patient_id = int(words[1])
                note = f"saved by pid-run step {counter}"
                with db.session() as s:
                    current = patient_service.get_patient(s, patient_id)
                    patient_service.update_patient(
                        s, patient_id, {"internal_notes": note}, expected_version=current.version
                    )
                print(f"ok {patient_id} {note}", flush=True)
            elif words[0] == "read":
                assert db is not None
                with db.read_session() as s:
                    patient = patient_service.get_patient(s, int(words[1]))
                print(f"ok {patient.id} {patient.internal_notes}", flush=True)
            elif words[0] == "close":
                if db is not None:
                    db.dispose()
                print("ok close", flush=True)
                return
            else:
                print(f"error unknown command {words[0]}", flush=True)
        except DatabaseError as exc:
            print(f"error {exc}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
