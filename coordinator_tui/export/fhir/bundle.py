"""One patient's FHIR Bundle (type ``collection``): every resource built by the other modules of this package,
validated with ``fhir.resources`` (R4B models) resource by resource and as a whole, written as JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coordinator_tui.export.fhir import appointments, care_plan, care_team, patient
from coordinator_tui.export.fhir.ids import resource_id
from coordinator_tui.models import CareTeamMember, ClinicEvent, Contact, Patient, Professional, TransitionItem
from coordinator_tui.services.clinics.appointments import AppointmentView


class FhirError(ValueError):
    """A bundle that ``fhir.resources`` refused (a bug here, never the user's input): one line, no personal data."""


@dataclass(frozen=True)
class PatientRecord:
    """What one patient's bundle is made from, read in one unit of work (``service.read_record``)."""

    patient: Patient
    contacts: Sequence[Contact]
    team: Sequence[tuple[CareTeamMember, Professional]]  # every membership, ended ones too
    appointments: Sequence[tuple[AppointmentView, ClinicEvent]]
    items: Sequence[TransitionItem]
    zone: str


def resources(record: PatientRecord) -> list[dict[str, Any]]:
    """The bundle's resources in a stable order: the patient, the family, the professionals, the care team, the
    appointments, the care plan and its tasks."""
    p = record.patient
    assert p.id is not None
    professionals = [prof for _m, prof in record.team] + [
        prof for view, _clinic in record.appointments for prof in view.professionals
    ]
    built: list[dict[str, Any]] = [patient.patient_resource(p, record.contacts)]
    built += patient.related_people(record.contacts, p.id)
    built += care_team.practitioners(professionals)
    if record.team:
        built.append(care_team.care_team(p, record.team))
    built += appointments.appointments(record.appointments, record.zone)
    built += care_plan.care_plan(p, record.items)
    return built


def _validated(resource: dict[str, Any]) -> Any:
    from fhir.resources.R4B import get_fhir_model_class  # loaded only when a bundle is built

    try:
        return get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except Exception as exc:  # pydantic's ValidationError: name the resource type, not its values
        raise FhirError(f"the {resource['resourceType']} resource did not validate as FHIR R4") from exc


def patient_bundle(record: PatientRecord, timestamp: dt.datetime) -> Any:
    """The patient's Bundle as a validated ``fhir.resources`` model (type ``collection``, no ``meta.profile``)."""
    from fhir.resources.R4B.bundle import Bundle

    assert record.patient.id is not None
    entries = []
    for resource in resources(record):
        _validated(resource)
        entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
    bundle = {
        "resourceType": "Bundle",
        "id": resource_id("bundle", record.patient.id),
        "type": "collection",
        "timestamp": timestamp.isoformat(),
        "entry": entries,
    }
    try:
        return Bundle.model_validate(bundle)
    except Exception as exc:
        raise FhirError("the patient's Bundle did not validate as FHIR R4") from exc


def bundle_json(record: PatientRecord, timestamp: dt.datetime) -> bytes:
    return patient_bundle(record, timestamp).model_dump_json(indent=2).encode("utf-8") + b"\n"
