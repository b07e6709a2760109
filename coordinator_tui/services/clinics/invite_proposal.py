"""The proposed invite list of a clinic: who is due and fits its staffed hours, each with why, and who is due but
does not fit (with why), so no due family is silently left out. Nothing is written here (``invitations`` invites).
No Textual import."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from coordinator_tui.models import ClinicAttendance, ClinicEvent
from coordinator_tui.services.clinics import clinic_planning
from coordinator_tui.services.safety.records import get_or_raise

if TYPE_CHECKING:
    from coordinator_tui.db import Database


@dataclass(frozen=True)
class DueFamily:
    """A patient due for review by this clinic: why, and (when their needs do not fit the hours) why not."""

    patient_id: int
    name: str
    reason: str
    not_fitting: str = ""

    @property
    def fits(self) -> bool:
        return not self.not_fitting


@dataclass(frozen=True)
class InvitationProposal:
    clinic_id: int
    clinic_name: str
    start_date: dt.date
    proposed: list[DueFamily] = field(default_factory=list)
    due_not_fitting: list[DueFamily] = field(default_factory=list)
    already_listed: int = 0  # families already on the clinic's list (not proposed again)
    capacity: dict[str, int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)

    @property
    def capacity_text(self) -> str:
        """'audiology 2 h 30 of 15 h' per discipline staffed, or that nobody is staffed yet."""
        if not self.capacity:
            return "no professional is staffed at this clinic yet: every due family is listed as not fitting"
        return " · ".join(
            f"{name} {_hours(self.used.get(name, 0))} of {_hours(minutes)}"
            for name, minutes in sorted(self.capacity.items())
        )


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def invitation_proposal(session: Session, clinic_id: int) -> InvitationProposal:
    """Who is due and fits the clinic's hours (proposed), who is due and does not (with why); nothing written."""
    clinic = get_or_raise(session, ClinicEvent, clinic_id)
    plan = clinic_planning.propose_invitees(session, clinic_id)
    listed = session.exec(
        select(ClinicAttendance.patient_id).where(ClinicAttendance.clinic_event_id == clinic_id)
    ).all()
    return InvitationProposal(
        clinic_id=clinic_id,
        clinic_name=clinic.name,
        start_date=clinic.start_date,
        proposed=[DueFamily(d.patient_id, d.name, d.reason) for d in plan.invite],
        due_not_fitting=[DueFamily(d.patient_id, d.name, d.reason, why) for d, why in plan.left_out],
        already_listed=len(listed),
        capacity=plan.capacity,
        used=plan.used,
    )


def load_proposal(database: Database, clinic_id: int) -> InvitationProposal:
    """The invitations screen's read use case."""
    return database.read(invitation_proposal, clinic_id)
