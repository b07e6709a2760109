"""``export_fhir``: read each patient's record (one read unit of work per patient) and write their Bundle as
``patient-<id>.json`` in the folder, owner-only and atomically; never a person's name in a file name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.export.atomic import ensure_output_dir, fsync_dir, write_atomic
from coordinator_tui.export.fhir.bundle import PatientRecord, bundle_json
from coordinator_tui.models import CareTeamMember, ClinicEvent, Contact, Patient, Professional, TransitionItem
from coordinator_tui.services.clinics.appointments import for_patient
from coordinator_tui.services.errors import NotFoundError
from coordinator_tui.services.people.specialist_service import service_zone

if TYPE_CHECKING:
    from coordinator_tui.db import Database


def file_name(patient_id: int) -> str:
    return f"patient-{patient_id}.json"


def read_record(session: Session, patient_id: int) -> PatientRecord:
    """Everything one patient's bundle is made from (internal notes are on the records read, never written)."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFoundError(f"no patient with id {patient_id}")
    contacts = session.exec(select(Contact).where(Contact.patient_id == patient_id).order_by(col(Contact.id))).all()
    team = session.exec(
        select(CareTeamMember, Professional)
        .join(Professional, col(Professional.id) == CareTeamMember.professional_id)
        .where(CareTeamMember.patient_id == patient_id)
        .order_by(col(CareTeamMember.start_date), col(CareTeamMember.id))
    ).all()
    views = for_patient(session, patient_id)
    clinics = {
        c.id: c
        for c in session.exec(
            select(ClinicEvent).where(col(ClinicEvent.id).in_({v.appointment.clinic_event_id for v in views}))
        ).all()
    }
    items = session.exec(
        select(TransitionItem).where(TransitionItem.patient_id == patient_id).order_by(col(TransitionItem.id))
    ).all()
    return PatientRecord(
        patient=patient,
        contacts=list(contacts),
        team=[(m, p) for m, p in team],
        appointments=[(v, clinics[v.appointment.clinic_event_id]) for v in views],
        items=list(items),
        zone=service_zone(session),
    )


def patient_ids(session: Session) -> list[int]:
    """Every patient (archived ones too: their Patient says active: false), in id order."""
    return [pid for pid in session.exec(select(Patient.id).order_by(col(Patient.id))).all() if pid is not None]


def export_fhir(
    database: Database,
    out_dir: Path,
    patients: Sequence[int] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write a Bundle per patient (``patients``, else every patient) into ``out_dir``; return the files written.
    An unknown patient id stops the export before anything is written."""
    ids = list(patients) if patients is not None else database.read(patient_ids)
    if patients is not None:
        missing = database.read(lambda s: [pid for pid in ids if s.get(Patient, pid) is None])
        if missing:
            raise NotFoundError(f"no patient with id {missing[0]}")
    folder = ensure_output_dir(Path(out_dir))
    timestamp = clock.now()
    written: list[Path] = []
    for done, pid in enumerate(ids, start=1):
        record = database.read(read_record, pid)
        data = bundle_json(record, timestamp)
        written.append(
            write_atomic(folder / file_name(pid), data, what=f"the FHIR bundle of patient {pid}", sync_dir=False)
        )
        if progress is not None:
            progress(done, len(ids))
    fsync_dir(folder)
    return written
