"""Venues: the service's catalogue of venues, their buildings' rooms and the walking time between two buildings.

The venues are listed on top; the highlighted venue's rooms below, grouped by building, with the walking times that
differ from the service's default. ``a`` adds a venue, ``r`` a room of the highlighted venue, ``w`` sets the walk
between two of its buildings; ``e`` and ``x`` edit and archive the venue or the room, whichever list has the focus.
Saving is ``services.clinics.venues``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from coordinator_tui.models import Room, Venue
from coordinator_tui.services.clinics.venues import (
    Catalogue,
    VenueCatalogue,
    building_label,
    read_catalogue,
    save_new_room,
    save_new_venue,
    save_room,
    save_room_archived,
    save_venue,
    save_venue_archived,
    save_walking_time,
    walk_key,
)
from coordinator_tui.ui import field_limits as limits
from coordinator_tui.ui.field_limits import column_field
from coordinator_tui.ui.screens.base import CoordinatorScreen
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormField, FormScreen
from coordinator_tui.ui.widgets.tables import RecordTable

if TYPE_CHECKING:
    from coordinator_tui.db import Database

EMPTY_TEXT = "No venues yet. Press a to add the first venue, then r to add its rooms."


class VenueTable(RecordTable):
    HELP_TITLE = "Venues"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "screen.edit_venue", "Edit", tooltip="Edit the highlighted venue"),
        Binding("x", "screen.archive_venue", "Archive", tooltip="Archive the highlighted venue"),
        Binding("enter", "screen.to_rooms", "Rooms", key_display="Enter", tooltip="Go to the venue's rooms"),
    ]


class RoomTable(RecordTable):
    HELP_TITLE = "Rooms"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "screen.edit_room", "Edit", tooltip="Edit the highlighted room"),
        Binding("enter", "screen.edit_room", "Edit room", key_display="Enter", show=False),
        Binding("x", "screen.archive_room", "Archive", tooltip="Archive the highlighted room"),
        Binding("escape", "screen.to_venues", "Venues", key_display="Esc"),
    ]


def venue_fields(venue: Venue | None) -> list[FormField]:
    return [
        column_field(Venue, "name", "Name", venue.name if venue else "", required=True),
        column_field(Venue, "address", "Address", venue.address if venue else "", kind="multiline"),
    ]


def room_fields(room: Room | None, buildings: list[str]) -> list[FormField]:
    hint = f"e.g. {buildings[0]}" if buildings and buildings[0] else "e.g. Children's Building"
    return [
        column_field(Room, "name", "Room", room.name if room else "", required=True, placeholder="e.g. Room 1"),
        column_field(
            Room, "building", "Building", room.building if room else "", placeholder=f"{hint} (blank if only one)"
        ),
    ]


def walk_fields(entry: VenueCatalogue) -> list[FormField]:
    buildings = [(b, b) for b in entry.buildings if b]
    return [
        FormField("first", "From building", buildings[0][1], kind="choice", choices=buildings, required=True),
        FormField("second", "To building", buildings[1][1], kind="choice", choices=buildings, required=True),
        FormField(
            "minutes",
            "Walk (minutes)",
            "",
            placeholder=f"blank: the service's default, {entry.default_minutes} min",
            max_length=limits.WHOLE_NUMBER,
        ),
    ]


def archived_name(name: str, archived: bool) -> str:
    return f"{name} (archived)" if archived else name


def walks_text(entry: VenueCatalogue) -> str:
    named = [b for b in entry.buildings if b]
    if len(named) < 2:
        return f"Walking between buildings: {entry.default_minutes} min (the service's default)."
    own = [f"{w.first_building} ↔ {w.second_building} {w.minutes} min" for w in entry.walks]
    others = "any other two" if own else "between any two"
    return "Walking: " + "; ".join([*own, f"{others} {entry.default_minutes} min (the service's default)"]) + "."


class VenuesScreen(CoordinatorScreen):
    screen_title = "Venues"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_venue", "Add venue"),
        Binding("r", "add_room", "Add room"),
        Binding("w", "walking_time", "Walk time", tooltip="Walking time between two buildings of the venue"),
        Binding("h", "toggle_archived", "Archived", tooltip="Show or hide archived venues and rooms"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.show_archived = False
        self.catalogue: Catalogue | None = None
        self._select_venue: int | None = None
        self._select_room: int | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="venues-empty", classes="empty-hint")
        yield VenueTable(id="venues-table")
        with Vertical(id="rooms-pane"):
            yield Static("Rooms", id="rooms-title", classes="pane-title")
            yield RoomTable(id="rooms-table")
            yield Static("", id="walks-text")

    def on_mount(self) -> None:
        width = self.app.size.width
        venues = self.query_one(VenueTable)
        for title, w in (("Venue", max(24, width - 50)), ("Address", 24), ("Rooms", 6), ("Clinics", 7)):
            venues.add_column(title, key=title, width=w)
        rooms = self.query_one(RoomTable)
        for title, w in (("Building", 28), ("Room", max(20, width - 44))):
            rooms.add_column(title, key=title, width=w)
        self.load()

    # ---------------------------------------------------------------------------------------------------------
    # Loading
    # ---------------------------------------------------------------------------------------------------------

    def load(self) -> None:
        self.run_use_case(
            partial(read_catalogue, include_archived=self.show_archived),
            self.show_catalogue,
            failed="Could not load",
            group="venues",
            exclusive=True,
        )

    def action_reload(self) -> None:
        self.load()

    def action_toggle_archived(self) -> None:
        self.show_archived = not self.show_archived
        self.notify("Archived venues and rooms shown: x restores one." if self.show_archived else "Archived hidden.")
        self.load()

    def show_catalogue(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        table = self.query_one(VenueTable)
        keep = str(self._select_venue) if self._select_venue is not None else table.selected_key
        table.clear()
        for entry in catalogue.venues:
            v = entry.venue
            address = v.address.splitlines()[0] if v.address else ""
            table.add_row(
                archived_name(v.name, v.archived), address, str(len(entry.rooms)), str(entry.clinics), key=str(v.id)
            )
        empty = self.query_one("#venues-empty", Static)
        hidden = catalogue.archived_hidden
        empty.update(f"No venues in use ({hidden} archived: h shows them, x restores one)." if hidden else EMPTY_TEXT)
        empty.display = not catalogue.venues
        if keep:
            table.move_to_key(keep)
        if self._select_venue is not None and self._select_room is None:
            table.focus()
        self._select_venue = None
        self.show_rooms()

    def chosen_venue(self, *, warn: bool = True) -> VenueCatalogue | None:
        key = self.query_one(VenueTable).selected_key
        entry = next((e for e in self.catalogue.venues if str(e.venue.id) == key), None) if self.catalogue else None
        if entry is None and warn:
            self.notify("Add a venue first: press a.", severity="warning")
        return entry

    def show_rooms(self) -> None:
        entry = self.chosen_venue(warn=False)
        table = self.query_one(RoomTable)
        keep = str(self._select_room) if self._select_room is not None else table.selected_key
        table.clear()
        title = self.query_one("#rooms-title", Static)
        walks = self.query_one("#walks-text", Static)
        if entry is None:
            title.update("Rooms: add a venue first")
            walks.update("")
            return
        if not entry.rooms:
            title.update(f"{entry.venue.name}: no rooms yet. Press r to add the first room.")
        else:
            count = len(entry.buildings)
            title.update(
                f"{entry.venue.name}: {len(entry.rooms)} room{'s' if len(entry.rooms) != 1 else ''} in "
                f"{count} building{'s' if count != 1 else ''}"
            )
        for building in entry.buildings:
            for index, room in enumerate(entry.rooms_in(building)):
                label = building_label(building) if index == 0 else ""
                table.add_row(label, archived_name(room.name, room.archived), key=str(room.id))
        walks.update(walks_text(entry))
        if keep and table.move_to_key(keep) and self._select_room is not None:
            table.focus()
        self._select_room = None

    def on_data_table_row_highlighted(self, event: RecordTable.RowHighlighted) -> None:
        if event.data_table.id == "venues-table":
            self.show_rooms()

    def action_to_rooms(self) -> None:
        self.query_one(RoomTable).focus()

    def action_to_venues(self) -> None:
        self.query_one(VenueTable).focus()

    # ---------------------------------------------------------------------------------------------------------
    # Venues
    # ---------------------------------------------------------------------------------------------------------

    def action_add_venue(self) -> None:
        form = FormScreen("New venue", venue_fields(None), save_new_venue, description="Fields marked * are required.")
        self.app.push_screen(form, partial(self._venue_saved, "Added"))

    def action_edit_venue(self) -> None:
        entry = self.chosen_venue()
        if entry is None:
            return
        venue = entry.venue

        def save(database: Database, values: dict[str, Any]) -> Venue:
            return save_venue(database, venue.id, venue.version, values)  # type: ignore[arg-type]

        self.app.push_screen(
            FormScreen(f"Edit {venue.name}", venue_fields(venue), save), partial(self._venue_saved, "Saved")
        )

    def _venue_saved(self, verb: str, venue: Venue | None) -> None:
        if venue is None:
            return
        self.notify(f"{verb} {venue.name}.", title="Saved")
        self._select_venue = venue.id
        self.load()

    def action_archive_venue(self) -> None:
        entry = self.chosen_venue()
        if entry is None:
            return
        venue = entry.venue
        self._confirm_archive(
            venue.name,
            venue.archived,
            "Its clinics and bookings keep it; it is no longer offered for new clinics.",
            partial(save_venue_archived, venue_id=venue.id, version=venue.version, archived=not venue.archived),
        )

    def _confirm_archive(self, name: str, restore: bool, detail: str, save: Callable[[Database], Venue | Room]) -> None:
        """Ask, then archive (or, for an archived one, restore) a venue or a room with ``save``."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_use_case(
                    save,
                    lambda saved: self._archived(saved.name, restore),
                    failed="Not restored" if restore else "Not archived",
                )

        if restore:
            self.app.push_screen(ConfirmScreen(f"Restore {name}?", yes_label="Restore"), answered)
        else:
            self.app.push_screen(ConfirmScreen(f"Archive {name}?", detail, yes_label="Archive"), answered)

    def _archived(self, name: str, restored: bool = False) -> None:
        self.notify(f"{'Restored' if restored else 'Archived'} {name}.", title="Saved")
        self.load()

    # ---------------------------------------------------------------------------------------------------------
    # Rooms
    # ---------------------------------------------------------------------------------------------------------

    def chosen_room(self) -> tuple[VenueCatalogue, Room] | None:
        entry = self.chosen_venue()
        if entry is None:
            return None
        key = self.query_one(RoomTable).selected_key
        room = next((r for r in entry.rooms if str(r.id) == key), None)
        if room is None:
            self.notify(f"{entry.venue.name} has no rooms yet: press r to add one.", severity="warning")
            return None
        return entry, room

    def action_add_room(self) -> None:
        entry = self.chosen_venue()
        if entry is None:
            return
        venue_id = entry.venue.id

        def save(database: Database, values: dict[str, Any]) -> Room:
            return save_new_room(database, venue_id, values)  # type: ignore[arg-type]

        form = FormScreen(
            f"New room at {entry.venue.name}",
            room_fields(None, entry.buildings),
            save,
            description="Room and building are unique within the venue. Enter saves.",
        )
        self.app.push_screen(form, partial(self._room_saved, "Added"))

    def action_edit_room(self) -> None:
        chosen = self.chosen_room()
        if chosen is None:
            return
        entry, room = chosen

        def save(database: Database, values: dict[str, Any]) -> Room:
            return save_room(database, room.id, room.version, values)  # type: ignore[arg-type]

        form = FormScreen(f"Edit {room.name}", room_fields(room, entry.buildings), save)
        self.app.push_screen(form, partial(self._room_saved, "Saved"))

    def _room_saved(self, verb: str, room: Room | None) -> None:
        if room is None:
            return
        where = f", {room.building}" if room.building else ""
        self.notify(f"{verb} {room.name}{where}.", title="Saved")
        self._select_venue, self._select_room = room.venue_id, room.id
        self.load()

    def action_archive_room(self) -> None:
        chosen = self.chosen_room()
        if chosen is None:
            return
        _entry, room = chosen
        self._confirm_archive(
            room.name,
            room.archived,
            "Past bookings keep it; it is no longer offered for new clinics. Refused while bookings to come use it.",
            partial(save_room_archived, room_id=room.id, version=room.version, archived=not room.archived),
        )

    # ---------------------------------------------------------------------------------------------------------
    # Walking time
    # ---------------------------------------------------------------------------------------------------------

    def action_walking_time(self) -> None:
        entry = self.chosen_venue()
        if entry is None:
            return
        if len([b for b in entry.buildings if b]) < 2:
            self.notify(
                f"{entry.venue.name} has fewer than two named buildings: add rooms in a second building first (r).",
                severity="warning",
            )
            return
        venue_id = entry.venue.id
        read = {walk_key(w.first_building, w.second_building): w.version for w in entry.walks}

        def save(database: Database, values: dict[str, Any]) -> str:
            walk = save_walking_time(database, venue_id, values, read)  # type: ignore[arg-type]
            if walk is None:
                return f"{values['first']} ↔ {values['second']}: the service's default"
            return f"{walk.first_building} ↔ {walk.second_building}: {walk.minutes} min"

        description = (
            "The time a family needs to walk between two buildings of this venue, where it differs from the default."
        )
        form = FormScreen(f"Walking time at {entry.venue.name}", walk_fields(entry), save, description=description)
        self.app.push_screen(form, self._walk_saved)

    def _walk_saved(self, text: str | None) -> None:
        if text is None:
            return
        self.notify(f"Walking time {text}.", title="Saved")
        self.load()
