"""CarePlan and Task: the patient's transition checklist as a plan with a Task per step: its status (mapped to
FHIR's task statuses), due date, owner (the role that owns it), and why a step is not applicable or was missed.
Never the step's evidence note."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coordinator_tui.export.fhir.ids import full_url, reference, resource_id
from coordinator_tui.models import Patient, TransitionItem, TransitionStatus

#: The checklist's statuses as FHIR Task.status codes.
TASK_STATUS: dict[TransitionStatus, str] = {
    TransitionStatus.TODO: "ready",
    TransitionStatus.IN_PROGRESS: "in-progress",
    TransitionStatus.DONE: "completed",
    TransitionStatus.NOT_APPLICABLE: "cancelled",
    TransitionStatus.MISSED: "failed",
}

CARE_PLAN_TITLE = "Transition from children's to adults' services"


def task(item: TransitionItem, patient_id: int) -> dict[str, Any]:
    assert item.id is not None
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": resource_id("transition-item", item.id),
        "basedOn": [reference("care-plan", patient_id)],
        "status": TASK_STATUS[item.status],
        "intent": "plan",
        "code": {"text": item.category},
        "description": item.title,
        "for": reference("patient", patient_id),
        "owner": {"display": item.owner_role},
        "restriction": {"period": {"end": item.due_date.isoformat()}},
    }
    if item.status_reason and item.status in (TransitionStatus.NOT_APPLICABLE, TransitionStatus.MISSED):
        resource["statusReason"] = {"text": item.status_reason}
    if item.completed_on is not None:
        resource["executionPeriod"] = {"end": item.completed_on.isoformat()}
    return resource


def care_plan(patient: Patient, items: Sequence[TransitionItem]) -> list[dict[str, Any]]:
    """The CarePlan (active while the checklist is open, completed once closed) and its Tasks, in due order; none
    for a patient without a checklist."""
    assert patient.id is not None
    if not items:
        return []
    ordered = sorted(items, key=lambda i: (i.due_date, i.id or 0))
    tasks = [task(item, patient.id) for item in ordered]
    plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": resource_id("care-plan", patient.id),
        "status": "completed" if patient.checklist_closed_on is not None else "active",
        "intent": "plan",
        "title": CARE_PLAN_TITLE,
        "subject": reference("patient", patient.id),
        "activity": [{"reference": {"reference": full_url("transition-item", i.id or 0)}} for i in ordered],
    }
    if patient.checklist_closed_on is not None:
        plan["period"] = {"end": patient.checklist_closed_on.isoformat()}
    return [plan, *tasks]
