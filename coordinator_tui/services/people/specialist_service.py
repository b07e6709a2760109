"""The specialist service running the clinics (one per database), created from settings on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session, select

from coordinator_tui.config import Settings, load_settings
from coordinator_tui.models import Service
from coordinator_tui.services.safety.records import create_record

if TYPE_CHECKING:
    from coordinator_tui.db import Database


def get_service(session: Session, settings: Settings | None = None) -> Service:
    service = session.exec(select(Service).order_by(Service.id)).first()
    if service is not None:
        return service
    settings = settings or load_settings()
    return create_record(session, Service(name=settings.service_name, timezone=settings.timezone))


def service_zone(session: Session) -> str:
    """The service's time zone; reads only (a read-only session, e.g. ``list``, must not create the service)."""
    service = session.exec(select(Service).order_by(Service.id)).first()
    return service.timezone if service is not None else load_settings().timezone


def display_zone(database: Database) -> str:
    """The service's time zone, for showing dates and times (one read)."""
    return database.read(service_zone)
