"""A patient's history from the audit log, as rows a screen can show: when, who, what, which fields changed."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from coordinator_tui.clinic_time import format_local_datetime
from coordinator_tui.models import (
    Appointment,
    AuditEvent,
    CareTeamMember,
    ClinicAttendance,
    ClinicEvent,
    Contact,
    Patient,
    PatientDisciplineNeed,
    Professional,
    Room,
    TransitionItem,
)
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
#: The record each history row is about, by its audit entity name: read to name it (never by its internal id).
ENTITY_MODELS: dict[str, type[Any]] = {
    "contact": Contact,
    "careteammember": CareTeamMember,
    "clinicattendance": ClinicAttendance,
    "appointment": Appointment,
    "transitionitem": TransitionItem,
    "patientdisciplineneed": PatientDisciplineNeed,
}
#: Columns holding another record's internal id: shown by that record's name, under this label.
REFERENCE_FIELDS = {"professional_id": "professional", "clinic_event_id": "clinic", "room_id": "room"}
#: What a record is never named by: text meant for staff only, however it describes the record.
NEVER_NAMED_BY = frozenset({"internal_notes", "note", "status_reason", "not_applicable_reason", "family_instructions"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
MAX_VALUE = 80


@dataclass(frozen=True)
class AuditRow:
    event_id: int
    when: str  # DD/MM/YYYY HH:MM in the service's zone
    who: str
    action: str  # added / changed / removed / archived; "named worker" when someone became it
    what: str  # e.g. "Family contact: Testparent Example (parent)"; never an internal id
    fields: tuple[str, ...]  # the fields that changed (labels)
    changes: tuple[tuple[str, str, str], ...]  # (field, before, after), display text
    note: str = ""  # a sentence saying what the change meant, e.g. "Dr Quinn Gooseberry became the named worker"

    @property
    def fields_text(self) -> str:
        return ", ".join(self.fields) if self.fields else "—"


def field_label(name: str) -> str:
    if name in REFERENCE_FIELDS:
        return REFERENCE_FIELDS[name]
    if name == "is_named_worker":
        return "named worker"
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


def _action(event: AuditEvent) -> str:
    return str(getattr(event.action, "value", event.action))


class RecordNames:
    """Names the records a history is about, and the records their fields point to, by what a nurse knows them by
    (a contact's name, a professional's name and discipline, a step's title), read from the database as it is now,
    or, for a record since removed, from the history's own copy of it. Never by an internal id or a staff note."""

    def __init__(self, session: Session, events: Sequence[AuditEvent], zone: str) -> None:
        self.session = session
        self.zone = zone
        self._snapshots: dict[tuple[str, str], dict[str, Any]] = {}
        for event in events:  # oldest last: the newest whole copy wins
            whole = _load(event.after) if _action(event) == "create" else _load(event.before)
            if _action(event) in ("create", "delete") and whole:
                self._snapshots.setdefault((event.entity, event.entity_id), whole)
        self._cache: dict[tuple[str, Any], str] = {}

    def record(self, entity: str, entity_id: str) -> dict[str, Any]:
        """The record's values: as stored now, else the history's copy (removed since), else nothing."""
        model = ENTITY_MODELS.get(entity)
        row = self._get(model, entity_id) if model is not None else None
        if row is not None:
            return {k: getattr(v, "value", v) for k, v in row.model_dump().items()}
        return self._snapshots.get((entity, entity_id), {})

    def _get(self, model: type[Any], key: Any) -> Any:
        try:
            return self.session.get(model, int(key))
        except (TypeError, ValueError):
            return None

    def professional(self, professional_id: Any) -> str:
        return self._cached("professional", professional_id, self._professional)

    def _professional(self, professional_id: Any) -> str:
        pro = self._get(Professional, professional_id)
        return "a professional no longer in the directory" if pro is None else f"{pro.display_name} ({pro.discipline})"

    def clinic(self, clinic_id: Any) -> str:
        return self._cached("clinic", clinic_id, self._clinic)

    def _clinic(self, clinic_id: Any) -> str:
        clinic = self._get(ClinicEvent, clinic_id)
        return "a clinic since removed" if clinic is None else f"{clinic.name} ({clinic.start_date:%d/%m/%Y})"

    def room(self, room_id: Any) -> str:
        return self._cached("room", room_id, self._room)

    def _room(self, room_id: Any) -> str:
        room = self._get(Room, room_id)
        if room is None:
            return "a room since removed"
        return f"{room.name}, {room.building}" if room.building else room.name

    def _cached(self, kind: str, key: Any, read: Any) -> str:
        if key is None:
            return "—"
        if (kind, key) not in self._cache:
            self._cache[(kind, key)] = read(key)
        return self._cache[(kind, key)]

    def reference(self, field: str, value: Any) -> str:
        """A field holding another record's id, as that record's name."""
        if value is None:
            return "—"
        return {"professional_id": self.professional, "clinic_event_id": self.clinic, "room_id": self.room}[field](
            value
        )

    def name(self, entity: str, entity_id: str) -> str:
        """``Label: name``; the label alone for the patient's own details, or when nothing names the record."""
        label = ENTITY_LABELS.get(entity, field_label(entity).capitalize())
        if entity == "patient":
            return label
        values = {k: v for k, v in self.record(entity, entity_id).items() if k not in NEVER_NAMED_BY}
        name = self._name_of(entity, entity_id, values)
        return f"{label}: {name}" if name else label

    def _name_of(self, entity: str, entity_id: str, values: dict[str, Any]) -> str:
        if entity == "contact":
            relationship = values.get("relationship")
            return f"{values.get('name', '')} ({relationship})" if relationship else str(values.get("name", ""))
        if entity == "careteammember":
            return self.professional(values.get("professional_id")) if values else ""
        if entity == "transitionitem":
            return str(values.get("title", ""))
        if entity == "clinicattendance":
            return self.clinic(values.get("clinic_event_id")) if values else ""
        if entity == "appointment":
            start = values.get("start")
            when = display_value(start if isinstance(start, str) else _iso(start), self.zone) if start else ""
            return " ".join(part for part in (str(values.get("discipline", "")), when) if part)
        if entity == "patientdisciplineneed":
            return str(values.get("discipline", ""))
        if entity == "appointmentprofessional":
            professional_id = values.get("professional_id") or entity_id.rpartition("/")[2]
            return self.professional(professional_id)
        return ""


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)


def _named_worker_note(event: AuditEvent, before: dict[str, Any], after: dict[str, Any], who: str) -> str:
    """Who became (or stopped being) the named worker, when this change says so."""
    if event.entity != "careteammember" or "is_named_worker" not in after:
        return ""
    person = who.partition(": ")[2] or "this professional"
    if _action(event) == "create":
        return f"{person} was added as the named worker." if after["is_named_worker"] else ""
    if after["is_named_worker"] and not before.get("is_named_worker"):
        return f"{person} became the named worker."
    if before.get("is_named_worker") and not after["is_named_worker"]:
        return f"{person} is no longer the named worker."
    return ""


def audit_row(event: AuditEvent, zone: str = "Europe/London", names: RecordNames | None = None) -> AuditRow:
    before, after = _load(event.before), _load(event.after)
    action = _action(event)
    if action == "create":
        fields = [k for k, v in after.items() if v not in (None, "", False, 0)]
    elif action == "delete":
        fields = list(before)
    else:
        fields = sorted(set(before) | set(after))
    fields = [n for n in fields if n not in HIDDEN_FIELDS]

    def shown(field: str, value: Any) -> str:
        if names is not None and field in REFERENCE_FIELDS:
            return names.reference(field, value)
        return display_value(value, zone)

    changes = tuple((field_label(n), shown(n, before.get(n)), shown(n, after.get(n))) for n in fields)
    if names is not None:
        what = names.name(event.entity, event.entity_id)
    else:
        what = ENTITY_LABELS.get(event.entity, field_label(event.entity).capitalize())
    note = _named_worker_note(event, before, after, what)
    return AuditRow(
        event_id=int(event.id or 0),
        when=format_local_datetime(event.at, zone),
        who=event.user,
        action="named worker" if note.endswith("became the named worker.") else ACTION_LABELS.get(action, action),
        what=what,
        fields=tuple(field_label(n) for n in fields),
        changes=changes,
        note=note,
    )


def patient_history(session: Session, patient_id: int, zone: str = "Europe/London", limit: int = 500) -> list[AuditRow]:
    """Newest first: every audited change to the patient and to records about them, each record named."""
    events = audit.history(session, patient_id=patient_id, limit=limit)
    names = RecordNames(session, events, zone)
    return [audit_row(event, zone, names) for event in events]


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
