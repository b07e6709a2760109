"""Test data: a clinic's venue and rooms in the catalogue, written directly (as fixtures write other rows)."""

from __future__ import annotations

from sqlmodel import Session, select

from coordinator_tui.models import ClinicEvent, ClinicRoom, Room, Venue


def clinic_venue(session: Session, clinic: ClinicEvent, name: str = "Test Hospital") -> Venue:
    """The clinic's venue: the service's venue of that name (added if missing); the clinic's venue text follows."""
    if clinic.venue_id is not None:
        venue = session.get(Venue, clinic.venue_id)
        assert venue is not None
        return venue
    venue = session.exec(select(Venue).where(Venue.service_id == clinic.service_id, Venue.name == name)).first()
    if venue is None:
        venue = Venue(service_id=clinic.service_id, name=name)
        session.add(venue)
        session.flush()
    clinic.venue_id, clinic.venue = venue.id, venue.name
    session.add(clinic)
    session.flush()
    return venue


def clinic_room(session: Session, clinic: ClinicEvent, name: str, building: str = "") -> Room:
    """A room of the clinic's venue (added to the catalogue if missing), used by the clinic."""
    venue = clinic_venue(session, clinic, clinic.venue or "Test Hospital")
    room = session.exec(
        select(Room).where(Room.venue_id == venue.id, Room.name == name, Room.building == building)
    ).first()
    if room is None:
        room = Room(venue_id=venue.id, name=name, building=building)  # type: ignore[arg-type]
        session.add(room)
        session.flush()
    if session.get(ClinicRoom, (clinic.id, room.id)) is None:
        session.add(ClinicRoom(clinic_event_id=clinic.id, room_id=room.id))  # type: ignore[arg-type]
        session.flush()
    return room
