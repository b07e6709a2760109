"""Read-only views of transition checklists for the screens (the checklist engine lives elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from coordinator_tui.models import TransitionItem


def items_for_patient(session: Session, patient_id: int) -> Sequence[TransitionItem]:
    """Every transition checklist item of one patient, in due-date order."""
    return session.exec(
        select(TransitionItem)
        .where(TransitionItem.patient_id == patient_id)
        .order_by(TransitionItem.due_date, TransitionItem.id)
    ).all()
