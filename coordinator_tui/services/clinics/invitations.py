"""Inviting families to a clinic and following their replies: the proposed list, and each family's status.

The proposed list is ``invite_proposal.invitation_proposal`` (a module of its own): the patients due for review by
the clinic (last attended + their review interval; never attended: due since registration), most overdue first, each
with why; those the clinic's staffed hours can serve are proposed, the others are listed as due but not fitting,
with the reason (so no due family is silently left out). The nurse adds or removes families, then
``invite_families`` invites the chosen ones in one write.

A family's status follows one path (``ALLOWED``)::

    invited -> confirmed | declined | cancelled
    confirmed -> attended | did not attend (once the clinic's first day has come) | cancelled | invited
    declined -> invited (re-invited) | confirmed (changed their mind)
    cancelled -> invited (re-invited)
    attended <-> did not attend (a correction)

Replies and cancellations are refused once the clinic is over, attended / did not attend before its first day,
and re-inviting or confirming into a cancelled clinic. A cancellation says who cancelled (the family or the
service). Each change records when (UTC) and who (``audit.current_user``) and goes through
``records.update_record`` with the version the nurse saw (a stale change is refused). No Textual import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.models import (
    AttendanceStatus,
    CancelledBy,
    ClinicAttendance,
    ClinicEvent,
    ClinicStatus,
    Patient,
)
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.records import create_record, get_or_raise, update_record
from coordinator_tui.validation import ValidationError

if TYPE_CHECKING:
    from coordinator_tui.db import Database

S = AttendanceStatus

#: Every status as words (with a symbol), never colour alone.
STATUS_TEXT: dict[AttendanceStatus, str] = {
    S.INVITED: "? invited, no reply",
    S.CONFIRMED: "✓ confirmed",
    S.DECLINED: "✗ declined",
    S.ATTENDED: "✓ attended",
    S.DID_NOT_ATTEND: "✗ did not attend",
    S.CANCELLED: "✗ cancelled",
}

#: Every status as a word in a sentence ("a family marked declined ...").
STATUS_WORD: dict[AttendanceStatus, str] = {
    S.INVITED: "invited",
    S.CONFIRMED: "confirmed",
    S.DECLINED: "declined",
    S.ATTENDED: "attended",
    S.DID_NOT_ATTEND: "did not attend",
    S.CANCELLED: "cancelled",
}

#: The status names typed on the command line.
STATUS_NAMES: dict[str, AttendanceStatus] = {
    "invited": S.INVITED,
    "confirmed": S.CONFIRMED,
    "declined": S.DECLINED,
    "attended": S.ATTENDED,
    "did-not-attend": S.DID_NOT_ATTEND,
    "cancelled": S.CANCELLED,
}

ALLOWED: dict[AttendanceStatus, tuple[AttendanceStatus, ...]] = {
    S.INVITED: (S.CONFIRMED, S.DECLINED, S.CANCELLED),
    S.CONFIRMED: (S.ATTENDED, S.DID_NOT_ATTEND, S.CANCELLED, S.INVITED),
    S.DECLINED: (S.INVITED, S.CONFIRMED),
    S.CANCELLED: (S.INVITED,),
    S.ATTENDED: (S.DID_NOT_ATTEND,),
    S.DID_NOT_ATTEND: (S.ATTENDED,),
}

#: Statuses that say whether the family came: only once the clinic's first day has come.
ON_THE_DAY = frozenset({S.ATTENDED, S.DID_NOT_ATTEND})
#: Families still expected (their needs count against the clinic's hours).
EXPECTED = frozenset({S.INVITED, S.CONFIRMED})


def status_name(status: AttendanceStatus) -> str:
    """The status as typed on the command line ('did-not-attend')."""
    return status.value.replace("_", "-")


def status_text(status: AttendanceStatus, cancelled_by: str = "") -> str:
    """'✗ cancelled by the family', '? invited, no reply', ... (words, not colour)."""
    if status is S.CANCELLED and cancelled_by in (CancelledBy.FAMILY, CancelledBy.SERVICE):
        return f"✗ cancelled by the {cancelled_by}"
    return STATUS_TEXT[status]


def parse_status(text: str) -> AttendanceStatus:
    key = text.strip().lower().replace("_", "-").replace(" ", "-")
    if key not in STATUS_NAMES:
        raise ValidationError.single("status", f"must be one of {', '.join(STATUS_NAMES)}")
    return STATUS_NAMES[key]


# ------------------------------------------------------------------------------------------------------------
# Status changes
# ------------------------------------------------------------------------------------------------------------


def refusal(
    current: AttendanceStatus, new: AttendanceStatus, clinic: ClinicEvent, today: dt.date, cancelled_by: str = ""
) -> str | None:
    """Why ``current`` cannot become ``new`` for ``clinic`` on ``today`` (one line), or None when it can."""
    before, after = STATUS_WORD[current], STATUS_WORD[new]
    if new is current:
        return f"the family is already marked {after}"
    if new not in ALLOWED[current]:
        return f"a family marked {before} cannot be marked {after}" + _hint(current, new)
    if new in ON_THE_DAY and today < clinic.start_date:
        return f"the clinic starts on {clinic.start_date:%d/%m/%Y}: {after} can be recorded from that day"
    if new not in ON_THE_DAY and today > clinic.end_date:
        return f"the clinic ended on {clinic.end_date:%d/%m/%Y}: only attended or did not attend can be recorded"
    if new in (S.INVITED, S.CONFIRMED) and clinic.status is ClinicStatus.CANCELLED:
        return "this clinic is cancelled"
    if new is S.CANCELLED and cancelled_by not in (CancelledBy.FAMILY, CancelledBy.SERVICE):
        return "say who cancelled: the family or the service"
    return None


def _hint(current: AttendanceStatus, new: AttendanceStatus) -> str:
    if new is S.DECLINED and current is S.CONFIRMED:
        return " (a family that confirmed and can no longer come is cancelled by the family)"
    if new in ON_THE_DAY and current is S.INVITED:
        return " (record that they confirmed first)"
    if current in ON_THE_DAY:
        return " (the clinic has happened)"
    return ""


def allowed_statuses(current: AttendanceStatus, clinic: ClinicEvent, today: dt.date) -> list[AttendanceStatus]:
    """The statuses a family with ``current`` can be given now (cancelled when a family or the service can)."""
    return [s for s in ALLOWED[current] if refusal(current, s, clinic, today, CancelledBy.FAMILY) is None]


def set_status(
    session: Session,
    attendance_id: int,
    status: AttendanceStatus,
    *,
    cancelled_by: str = "",
    expected_version: int | None = None,
) -> ClinicAttendance:
    """Change a family's status if the rules allow it (else ValidationError on ``status``, nothing written);
    records when and who."""
    attendance = get_or_raise(session, ClinicAttendance, attendance_id)
    clinic = get_or_raise(session, ClinicEvent, attendance.clinic_event_id)
    reason = refusal(attendance.status, status, clinic, clock.today(), cancelled_by)
    if reason is not None:
        raise ValidationError.single("status", reason)
    changes = {
        "status": status,
        "cancelled_by": cancelled_by if status is S.CANCELLED else CancelledBy.NOBODY.value,
        "status_changed_at": clock.now(),
        "status_changed_by": audit.current_user(session),
    }
    return update_record(session, ClinicAttendance, attendance_id, changes, expected_version=expected_version)


def attendance_of(session: Session, clinic_id: int, patient_id: int) -> ClinicAttendance:
    """The family's place at this clinic; ValidationError on ``patient`` when they are not on its list."""
    get_or_raise(session, ClinicEvent, clinic_id)
    get_or_raise(session, Patient, patient_id)
    row = session.exec(
        select(ClinicAttendance).where(
            ClinicAttendance.clinic_event_id == clinic_id, ClinicAttendance.patient_id == patient_id
        )
    ).first()
    if row is None:
        raise ValidationError.single("patient", f"patient {patient_id} is not invited to clinic {clinic_id}")
    return row


def set_patient_status(
    session: Session, clinic_id: int, patient_id: int, status: AttendanceStatus, *, cancelled_by: str = ""
) -> ClinicAttendance:
    """``set_status`` for the family of ``patient_id`` at ``clinic_id`` (the command line)."""
    attendance = attendance_of(session, clinic_id, patient_id)
    assert attendance.id is not None
    return set_status(session, attendance.id, status, cancelled_by=cancelled_by, expected_version=attendance.version)


# ------------------------------------------------------------------------------------------------------------
# Inviting
# ------------------------------------------------------------------------------------------------------------


def invite(session: Session, clinic_id: int, patient_id: int) -> ClinicAttendance:
    """Invite one family (refused for a cancelled clinic, an archived patient, one already on the list)."""
    clinic = get_or_raise(session, ClinicEvent, clinic_id)
    patient = get_or_raise(session, Patient, patient_id)
    if clinic.status is ClinicStatus.CANCELLED:
        raise ValidationError.single("clinic", "this clinic is cancelled")
    if patient.archived:
        raise ValidationError.single("patient", f"{patient.full_name} is archived")
    existing = session.exec(
        select(ClinicAttendance).where(
            ClinicAttendance.clinic_event_id == clinic_id, ClinicAttendance.patient_id == patient_id
        )
    ).first()
    if existing is not None:
        now = STATUS_WORD[existing.status]
        raise ValidationError.single("patient", f"{patient.full_name} is already invited to this clinic (marked {now})")
    return create_record(
        session,
        ClinicAttendance(
            clinic_event_id=clinic_id,
            patient_id=patient_id,
            status=S.INVITED,
            status_changed_at=clock.now(),
            status_changed_by=audit.current_user(session),
        ),
    )


def invite_families(session: Session, clinic_id: int, patient_ids: Iterable[int]) -> list[ClinicAttendance]:
    """Invite every family of ``patient_ids`` (in one transaction: one refused, none invited)."""
    ids = list(dict.fromkeys(patient_ids))
    if not ids:
        raise ValidationError.single("patient", "no family chosen to invite")
    return [invite(session, clinic_id, pid) for pid in ids]


def save_invitations(database: Database, clinic_id: int, patient_ids: Sequence[int]) -> int:
    """The screen's use case: invite the chosen families in one write; how many were invited."""
    return len(database.write(invite_families, clinic_id, list(patient_ids)))


def save_status(
    database: Database,
    attendance_id: int,
    status: AttendanceStatus,
    cancelled_by: str = "",
    expected_version: int | None = None,
) -> ClinicAttendance:
    """The screen's use case: one family's status change in a unit of work of its own."""
    return database.write(
        set_status, attendance_id, status, cancelled_by=cancelled_by, expected_version=expected_version
    )


# ------------------------------------------------------------------------------------------------------------
# Adding a patient by hand (the proposed list itself is in ``invite_proposal``)
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientChoice:
    patient_id: int
    name: str
    label: str


def patients_to_add(session: Session, clinic_id: int) -> list[PatientChoice]:
    """Current patients not yet on this clinic's list, by name (for the 'add a patient' picker)."""
    listed = set(
        session.exec(select(ClinicAttendance.patient_id).where(ClinicAttendance.clinic_event_id == clinic_id)).all()
    )
    rows = session.exec(
        select(Patient)
        .where(col(Patient.archived).is_(False))
        .order_by(Patient.family_name, Patient.given_name, Patient.id)
    ).all()
    return [
        PatientChoice(p.id, p.full_name, f"{p.family_name}, {p.given_name} · born {p.date_of_birth:%d/%m/%Y}")
        for p in rows
        if p.id is not None and p.id not in listed
    ]


def load_patients_to_add(database: Database, clinic_id: int) -> list[PatientChoice]:
    return database.read(patients_to_add, clinic_id)
