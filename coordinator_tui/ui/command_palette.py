"""Command palette (ctrl+p): find patients, professionals and clinic events by name and jump to them; import a
spreadsheet."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from coordinator_tui.services.people.record_finder import find_records
from coordinator_tui.ui.background import coordinator_app, use_case_result
from coordinator_tui.ui.navigation import TOP_LEVEL_SCREENS

if TYPE_CHECKING:
    from coordinator_tui.ui.app import CoordinatorApp


IMPORT_LABEL = "Import a spreadsheet"
IMPORT_HELP = "patients, family contacts, professionals or care teams from a .csv or .xlsx file"


class CoordinatorCommands(Provider):
    """Jump to a patient, professional or clinic event by typing part of its name (or NHS/hospital number)."""

    @property
    def coordinator(self) -> CoordinatorApp:
        return coordinator_app(self.app)

    def open_import(self) -> None:
        """The Import dialog over the current screen (``ui/screens/spreadsheet_import.py``)."""
        from coordinator_tui.ui.screens.spreadsheet_import import open_import

        open_import(self.app.screen)

    async def discover(self) -> Hits:
        for entry in TOP_LEVEL_SCREENS:
            yield DiscoveryHit(
                f"Go to {entry.title}",
                partial(self.coordinator.action_switch_to, entry.mode),
                help=f"key {entry.key}",
            )
        yield DiscoveryHit(IMPORT_LABEL, self.open_import, help=IMPORT_HELP)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in TOP_LEVEL_SCREENS:
            label = f"Go to {entry.title}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self.coordinator.action_switch_to, entry.mode))
        score = matcher.match(IMPORT_LABEL)
        if score > 0:
            yield Hit(score, matcher.highlight(IMPORT_LABEL), self.open_import, help=IMPORT_HELP)
        if len(query.strip()) < 2:
            return
        found = await use_case_result(self.app, partial(find_records, text=query))
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
