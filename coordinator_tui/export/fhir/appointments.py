"""Appointment: each clinic appointment of the patient, its status mapped to FHIR's, its times with their offset,
the patient and the professionals as participants, the room by name. Never its internal notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coordinator_tui.clinic_time import to_local
from coordinator_tui.export.fhir.ids import reference, resource_id
from coordinator_tui.models import AppointmentKind, AppointmentStatus, ClinicEvent
from coordinator_tui.services.clinics.appointments import AppointmentView

#: The app's statuses are FHIR's Appointment.status codes (the subset a clinic uses): mapped one to one.
STATUS: dict[AppointmentStatus, str] = {
    AppointmentStatus.PROPOSED: "proposed",
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ARRIVED: "arrived",
    AppointmentStatus.FULFILLED: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NOSHOW: "noshow",
}

#: The participants' answer, by the appointment's status: a proposal still needs them; otherwise accepted.
PARTICIPANT_STATUS: dict[AppointmentStatus, str] = {AppointmentStatus.PROPOSED: "needs-action"}

KIND_TEXT: dict[AppointmentKind, str] = {
    AppointmentKind.CONSULTATION: "Consultation",
    AppointmentKind.TEST: "Test",
    AppointmentKind.JOINT: "Joint appointment",
    AppointmentKind.ROUND_TABLE: "Team meeting with the family",
}


def appointment(view: AppointmentView, clinic: ClinicEvent, zone: str) -> dict[str, Any]:
    a = view.appointment
    assert a.id is not None and view.patient.id is not None
    answer = PARTICIPANT_STATUS.get(a.status, "accepted")
    participants: list[dict[str, Any]] = [{"actor": reference("patient", view.patient.id), "status": answer}]
    participants += [
        {"actor": reference("professional", p.id), "status": answer} for p in view.professionals if p.id is not None
    ]
    if view.room is not None:
        place = ", ".join(part for part in (view.room.name, view.room.building) if part)
        participants.append({"actor": {"display": place}, "status": answer})
    start, end = to_local(a.start, zone), to_local(a.end, zone)
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": resource_id("appointment", a.id),
        "status": STATUS[a.status],
        "serviceType": [{"text": a.discipline}],
        "appointmentType": {"text": KIND_TEXT[a.kind]},
        "description": f"{a.discipline} at {clinic.name}",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "minutesDuration": max(1, int((a.end - a.start).total_seconds() // 60)),
        "participant": participants,
    }
    if a.family_instructions:
        resource["patientInstruction"] = a.family_instructions  # what the family is told; never internal notes
    return resource


def appointments(views: Sequence[tuple[AppointmentView, ClinicEvent]], zone: str) -> list[dict[str, Any]]:
    return [appointment(view, clinic, zone) for view, clinic in views]
