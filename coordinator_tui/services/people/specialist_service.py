"""The specialist service running the clinics (one per database): its row and time zone, for the other services.

Its details, and how an older settings file's values are moved into it, are ``services.service_details``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from coordinator_tui.clinic_time import DEFAULT_ZONE
from coordinator_tui.services.service_details import find_service
from coordinator_tui.services.service_details import get_service as get_service

if TYPE_CHECKING:
    from coordinator_tui.db import Database


def service_zone(session: Session) -> str:
    """The service's time zone; reads only (a read-only session, e.g. ``list``, must not create the service)."""
    service = find_service(session)
    return service.timezone if service is not None else DEFAULT_ZONE


def display_zone(database: Database) -> str:
    """The service's time zone, for showing dates and times (one read)."""
    return database.read(service_zone)
