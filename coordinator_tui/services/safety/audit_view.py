"""A patient's history from the audit log, as rows a screen can show: when, who, what, which fields changed."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from coordinator_tui.clinic_time import format_local_datetime
from coordinator_tui.models import AuditEvent, Patient
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.records import get_or_raise

if TYPE_CHECKING:
    from coordinator_tui.db import Database

ENTITY_LABELS = {
    "patient": "Patient details",
    "contact": "Family contact",
    "careteammember": "Care team",
    "clinicattendance": "Clinic visit",
    "appointment": "Appointment",
    "appointmentprofessional": "Appointment team",
    "transitionitem": "Transition step",
    "patientdisciplineneed": "Clinic needs",
}
ACTION_LABELS = {"create": "added", "update": "changed", "delete": "removed", "archive": "archived"}
# Bookkeeping columns that say nothing to a reader of the history.
HIDDEN_FIELDS = {"id", "version", "patient_id", "uid"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
MAX_VALUE = 80


@dataclass(frozen=True)
class AuditRow:
    event_id: int
    when: str  # DD/MM/YYYY HH:MM in the service's zone
    who: str
    action: str  # added / changed / removed / archived
    what: str  # e.g. "Family contact 12"
    fields: tuple[str, ...]  # the fields that changed (labels)
    changes: tuple[tuple[str, str, str], ...]  # (field, before, after), display text

    @property
    def fields_text(self) -> str:
        return ", ".join(self.fields) if self.fields else "—"


def field_label(name: str) -> str:
    return name.replace("_", " ")


def display_value(value: Any, zone: str) -> str:
    """A stored JSON value as a reader would type it: DD/MM/YYYY dates, local times, yes/no."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            try:
                return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
            except ValueError:
                return value
        if _ISO_DATETIME.match(value):
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            return format_local_datetime(moment, zone)
        text = " ".join(value.split())
        return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
    return str(value)


def _load(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def audit_row(event: AuditEvent, zone: str = "Europe/London") -> AuditRow:
    before, after = _load(event.before), _load(event.after)
    action = str(getattr(event.action, "value", event.action))
    if action == "create":
        names = [k for k, v in after.items() if v not in (None, "", False, 0)]
    elif action == "delete":
        names = list(before)
    else:
        names = sorted(set(before) | set(after))
    names = [n for n in names if n not in HIDDEN_FIELDS]
    changes = tuple(
        (field_label(n), display_value(before.get(n), zone), display_value(after.get(n), zone)) for n in names
    )
    label = ENTITY_LABELS.get(event.entity, field_label(event.entity).capitalize())
    what = label if event.entity == "patient" else f"{label} {event.entity_id}"
    return AuditRow(
        event_id=int(event.id or 0),
        when=format_local_datetime(event.at, zone),
        who=event.user,
        action=ACTION_LABELS.get(action, action),
        what=what,
        fields=tuple(field_label(n) for n in names),
        changes=changes,
    )


def patient_history(session: Session, patient_id: int, zone: str = "Europe/London", limit: int = 500) -> list[AuditRow]:
    """Newest first: every audited change to the patient and to records about them."""
    return [audit_row(event, zone) for event in audit.history(session, patient_id=patient_id, limit=limit)]


@dataclass(frozen=True)
class PatientHistory:
    """What the history screen shows: the patient's name and their audited changes, newest first."""

    name: str
    rows: list[AuditRow]


def patient_history_view(database: Database, patient_id: int, zone: str) -> PatientHistory:
    """A patient's name and history in one read (``NotFoundError`` when there is no such patient)."""

    def read(session: Session) -> PatientHistory:
        patient = get_or_raise(session, Patient, patient_id)
        return PatientHistory(patient.full_name, patient_history(session, patient_id, zone))

    return database.read(read)
