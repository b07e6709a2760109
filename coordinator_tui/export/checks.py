"""Checks before an export is written: an itinerary that would mislead a family is asked about first.

Two things make a family's itinerary not worth sending as it stands:

- their visit has no appointment booked (none at all, or only proposed or cancelled ones): the file would send
  them to the hospital with nothing to go to;
- their timetable has a clash still unresolved (the clinic's clash list, ``appointments.find_clashes``: the family
  in two places, a professional or a room double-booked, an appointment outside the clinic's or the
  professional's hours): a time in the file is likely to change.

``export_concerns(session, clinic_id, patient_id)`` lists them for one family or for every family a whole-clinic
export would write; ``concerns_text`` puts them in one line for the coordinator (it names the patient: it is the
coordinator's, never written in a family's file). The app asks (y/n) before writing; the command line refuses
unless given ``--anyway``. ``check_before_export(database, ...)`` is the screen's use case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from coordinator_tui.db import Database
from coordinator_tui.errors import DatabaseError
from coordinator_tui.models import Appointment, AppointmentStatus, ClinicEvent, ClinicStatus
from coordinator_tui.services.clinics.appointments import find_clashes
from coordinator_tui.services.errors import NotFoundError
from coordinator_tui.services.itineraries.itinerary import (
    Itinerary,
    NotAttendingError,
    NotConfirmedError,
    build_clinic_itineraries,
    build_itinerary,
)

#: An appointment the family is booked for (a proposed one is not booked yet; cancelled and no-show are not on).
BOOKED = frozenset({AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.FULFILLED})


@dataclass(frozen=True)
class ExportConcern:
    """Why one family's itinerary is asked about before it is written."""

    patient_id: int
    label: str  # 'Testperson, Ava (patient 18)': for the coordinator
    reason: str  # 'no appointment booked', 'an unresolved clash in their timetable (patient in two places, 29/03)'

    @property
    def text(self) -> str:
        return f"{self.label}: {self.reason}"


def _label(itinerary: Itinerary) -> str:
    return f"{itinerary.family_name}, {itinerary.given_name} (patient {itinerary.patient_id})"


def concerns_for(session: Session, clinic_id: int, itineraries: Sequence[Itinerary]) -> list[ExportConcern]:
    """The concerns about the families of ``itineraries`` (all of one clinic), in their order."""
    if not itineraries:
        return []
    wanted = [it.patient_id for it in itineraries]
    booked: dict[int, int] = defaultdict(int)
    patient_of: dict[int, int] = {}
    rows = session.exec(
        select(Appointment.id, Appointment.patient_id, Appointment.status)
        .where(col(Appointment.clinic_event_id) == clinic_id)
        .where(col(Appointment.patient_id).in_(wanted))
    ).all()
    for appointment_id, patient_id, status in rows:
        if appointment_id is not None:
            patient_of[appointment_id] = patient_id
        if AppointmentStatus(status) in BOOKED:
            booked[patient_id] += 1
    clashes_of: dict[int, list[str]] = defaultdict(list)
    for clash in find_clashes(session, clinic_id):
        what = f"{clash.kind.value} on {clash.day:%d/%m/%Y}"
        for patient_id in {patient_of[i] for i in clash.appointment_ids if i in patient_of}:
            if what not in clashes_of[patient_id]:
                clashes_of[patient_id].append(what)
    concerns: list[ExportConcern] = []
    for itinerary in itineraries:
        pid = itinerary.patient_id
        if not booked[pid]:
            concerns.append(ExportConcern(pid, _label(itinerary), "no appointment booked"))
        if clashes_of[pid]:
            listed = "; ".join(clashes_of[pid][:2]) + ("; …" if len(clashes_of[pid]) > 2 else "")
            concerns.append(ExportConcern(pid, _label(itinerary), f"an unresolved clash in their timetable ({listed})"))
    return concerns


def export_concerns(
    session: Session, clinic_id: int, patient_id: int | None, *, unconfirmed: bool = False
) -> list[ExportConcern]:
    """The concerns about one family's export (``patient_id``) or a whole clinic's (the families it would write).
    A cancelled clinic, or a family no longer coming, has none: what they get cancels what they were sent (the
    export itself says whether it can). Raises ``NotFoundError`` (unknown clinic or patient) and
    ``NotConfirmedError`` (a family who has not replied, unless ``unconfirmed``)."""
    clinic = session.get(ClinicEvent, clinic_id)
    if clinic is None:
        raise NotFoundError(f"no clinic with id {clinic_id}")
    if clinic.status == ClinicStatus.CANCELLED:
        return []
    if patient_id is not None:
        try:
            itineraries = [build_itinerary(session, clinic_id, patient_id, unconfirmed=unconfirmed)]
        except NotConfirmedError:
            raise
        except NotAttendingError:
            return []
    else:
        itineraries = build_clinic_itineraries(session, clinic_id)
    return concerns_for(session, clinic_id, itineraries)


def concerns_text(concerns: Sequence[ExportConcern], *, limit: int = 3) -> str:
    """One line: 'Testperson, Ava (patient 18): no appointment booked; Other, Zed (patient 3): …' ('' if none)."""
    shown = [c.text for c in concerns[:limit]]
    more = len(concerns) - limit
    if more > 0:
        shown.append(f"and {more} more")
    return "; ".join(shown)


@dataclass(frozen=True)
class ExportCheck:
    """The screen's answer: the concerns in one line ('' when none), or why the check could not be made."""

    concerns: str = ""
    count: int = 0
    families: int = 0  # how many families they are about
    error: str | None = None


def check_before_export(
    database: Database, clinic_id: int, patient_id: int | None, unconfirmed: bool = False
) -> ExportCheck:
    """The export screen's use case: what to ask about before writing (an error as one line, not raised)."""
    try:
        with database.session() as session:
            found = export_concerns(session, clinic_id, patient_id, unconfirmed=unconfirmed)
    except (NotFoundError, DatabaseError) as exc:
        return ExportCheck(error=" ".join(str(exc).split()) or type(exc).__name__)
    return ExportCheck(concerns_text(found), len(found), len({c.patient_id for c in found}))
