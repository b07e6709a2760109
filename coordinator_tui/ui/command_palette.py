"""Command palette (ctrl+p): find patients, professionals and clinic events by name and jump to them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from coordinator_tui.ui.navigation import TOP_LEVEL_SCREENS
from coordinator_tui.validation import format_nhs_number, format_uk_date

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.ui.app import CoordinatorApp

LIMIT = 8


@dataclass(frozen=True)
class Found:
    kind: str  # "patient" | "professional" | "clinic"
    record_id: int
    name: str
    detail: str


def find_records(database: Database, text: str, limit: int = LIMIT) -> list[Found]:
    """Patients, professionals and clinic events matching ``text`` (services only; runs in a thread)."""
    from coordinator_tui.services.clinics.clinics import list_clinics
    from coordinator_tui.services.people.patients import search_patients
    from coordinator_tui.services.people.professionals import list_professionals

    found: list[Found] = []
    words = text.lower().split()
    with database.read_session() as session:
        for patient in search_patients(session, text, limit=limit):
            found.append(
                Found(
                    "patient",
                    patient.id,  # type: ignore[arg-type]
                    patient.full_name,
                    f"patient · NHS {format_nhs_number(patient.nhs_number)} · {patient.hospital_number}",
                )
            )
        for professional in list(list_professionals(session, text=text))[:limit]:
            found.append(
                Found(
                    "professional",
                    professional.id,  # type: ignore[arg-type]
                    professional.display_name,
                    f"professional · {professional.discipline} · {professional.organisation}",
                )
            )
        clinics = [c for c in list_clinics(session) if all(w in c.name.lower() for w in words)]
        for clinic in clinics[:limit]:
            found.append(
                Found(
                    "clinic",
                    clinic.id,  # type: ignore[arg-type]
                    clinic.name,
                    f"clinic · {format_uk_date(clinic.start_date)} · {clinic.venue} · {clinic.status.value}",
                )
            )
    return found


class CoordinatorCommands(Provider):
    """Jump to a patient, professional or clinic event by typing part of its name (or NHS/hospital number)."""

    @property
    def coordinator(self) -> CoordinatorApp:
        return self.app  # type: ignore[return-value]

    async def discover(self) -> Hits:
        for entry in TOP_LEVEL_SCREENS:
            yield DiscoveryHit(
                f"Go to {entry.title}",
                partial(self.coordinator.action_switch_to, entry.mode),
                help=f"key {entry.key}",
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in TOP_LEVEL_SCREENS:
            label = f"Go to {entry.title}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self.coordinator.action_switch_to, entry.mode))
        if len(query.strip()) < 2:
            return
        found = await asyncio.to_thread(find_records, self.coordinator.database, query)
        for item in found:
            # The database already matched every word; the fuzzy score only orders the hits.
            score = max(matcher.match(item.name), 0.3)
            if item.kind == "patient":
                action = partial(self.coordinator.open_patient, item.record_id)
            elif item.kind == "professional":
                action = partial(self.coordinator.open_professional, item.record_id)
            else:
                action = partial(self.coordinator.open_clinic, item.record_id)
            yield Hit(score, matcher.highlight(item.name), action, text=item.name, help=item.detail)
