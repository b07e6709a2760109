"""Setting up a service from an empty database: what is done and what is still to do, in order.

The home screen shows these steps while the database holds no patients yet ("Getting started"). Each step is
counted from what the database holds, so it is marked done as soon as the records exist, whoever added them and
however (a screen, a command, a copy of another database).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlmodel import Session, col, func, select

from coordinator_tui.models import ClinicEvent, ClinicStatus, Patient, Professional, Room, Venue
from coordinator_tui.services.service_details import read_service_details

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement

    from coordinator_tui.db import Database

#: The service details a new service must fill in (``ServiceDetails.to_fill_in``, the Service screen's list), as
#: the screen names them. The short name is not among them: families see the name when it is blank.
SERVICE_DETAILS = {"name": "name", "phone": "phone for the day", "address": "address"}


@dataclass(frozen=True)
class SetupStep:
    """One step of setting up the service: what to do, the keys that do it, how far it has got."""

    title: str
    screen: str  # the top-level screen where it is done (its title in the navigation bar)
    then: str  # the key that adds a record there ("" when the screen itself is the step)
    done: bool
    progress: str  # what exists, e.g. "2 professionals", "none yet"


@dataclass(frozen=True)
class SetupProgress:
    steps: tuple[SetupStep, ...]
    patients: int
    location: str = ""  # the database's file path or URL (no password), so a wrong database is noticed

    @property
    def next_step(self) -> SetupStep | None:
        """The first step still to do (None: all done)."""
        return next((step for step in self.steps if not step.done), None)

    @property
    def all_done(self) -> bool:
        return self.next_step is None


def _count(session: Session, what: type[object], *where: ColumnElement[bool]) -> int:
    query = select(func.count()).select_from(what)
    for condition in where:
        query = query.where(condition)
    return int(session.exec(query).one())


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    if count == 0:
        return "none yet"
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _service_step(session: Session) -> SetupStep:
    missing = [SERVICE_DETAILS[key] for key in read_service_details(session).to_fill_in]
    filled = len(SERVICE_DETAILS) - len(missing)
    progress = "all filled in" if not missing else f"{filled} of {len(SERVICE_DETAILS)} filled in"
    if missing:
        progress += f" (to do: {', '.join(missing)})"
    return SetupStep("Service details", "Service", "", not missing, progress)


def _venue_step(session: Session) -> SetupStep:
    """Done once a venue has a room in the catalogue (a clinic's rooms are chosen from its venue's)."""
    venues = _count(session, Venue, col(Venue.archived).is_(False))
    rooms = int(
        session.exec(
            select(func.count())
            .select_from(Room)
            .join(Venue, col(Venue.id) == col(Room.venue_id))
            .where(col(Room.archived).is_(False), col(Venue.archived).is_(False))
        ).one()
    )
    if venues == 0:
        progress = "none yet"
    else:
        progress = f"{_plural(venues, 'venue')}, {_plural(rooms, 'room') if rooms else 'no rooms yet'}"
    return SetupStep("Venues and rooms", "Venues", "", rooms > 0, progress)


def read_setup_progress(session: Session) -> SetupProgress:
    """How far setting up the service has got, step by step, in the order a new service takes them."""
    professionals = _count(session, Professional, col(Professional.archived).is_(False))
    clinics = _count(session, ClinicEvent, col(ClinicEvent.status) != ClinicStatus.CANCELLED)
    patients = _count(session, Patient, col(Patient.archived).is_(False))
    steps = (
        _service_step(session),
        SetupStep("Professionals", "Professionals", "a", professionals > 0, _plural(professionals, "professional")),
        _venue_step(session),
        SetupStep("The clinic plan", "Clinic days", "p", clinics > 0, _plural(clinics, "clinic")),
        SetupStep("The first patient", "Patients", "ctrl+n", patients > 0, _plural(patients, "patient")),
    )
    return SetupProgress(steps, patients)


def setup_progress(database: Database) -> SetupProgress:
    """``read_setup_progress`` in one read, with where the database is."""
    return replace(database.read(read_setup_progress), location=database.location)
