"""The Service screen: the service's details, shared by everyone who uses the database, and their forms.

``e`` edits the details in a modal form (checked; what was typed stays on screen when something is wrong; a save
made after someone else's is refused, saying who). ``r`` loads or replaces the milestone rules file by typing its
path (read and checked now, kept in the database); ``x`` goes back to the shipped rules. On a new database the
defaults are shown and the screen says to fill in the name, the phone number and the address.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Static

from coordinator_tui.models import Service
from coordinator_tui.services.service_details import (
    FIELD_LABELS,
    ServiceChange,
    ServiceDetails,
    clear_service_rules,
    details_rows,
    form_values,
    load_rules_form,
    save_service_form,
    service_details,
)
from coordinator_tui.ui import field_limits as limits
from coordinator_tui.ui.field_limits import column_field
from coordinator_tui.ui.screens.base import CoordinatorScreen
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormField, FormScreen

#: The longest path the rules form takes (what ``read_rules_file`` reads).
RULES_PATH = 4096
#: A time zone name (``Service.timezone``).
ZONE = 64


def service_fields(details: ServiceDetails) -> list[FormField]:
    """The details form: what families see, the clinic days, calendars and walking."""
    v = form_values(details)

    def text(name: str, limit: int, placeholder: str = "", *, required: bool = False) -> FormField:
        return FormField(
            name, FIELD_LABELS[name], v[name], placeholder=placeholder, max_length=limit, required=required
        )

    return [
        FormField.heading("What families see"),
        column_field(Service, "name", FIELD_LABELS["name"], v["name"], required=True),
        column_field(
            Service, "short_name", FIELD_LABELS["short_name"], v["short_name"], placeholder="e.g. Alström clinic"
        ),
        text("phone", limits.PHONE, "the number families call on the day"),
        column_field(Service, "address", FIELD_LABELS["address"], v["address"], kind="multiline"),
        FormField.heading("Clinic days (HH:MM)"),
        text("child_day_start", limits.TIME, "09:00", required=True),
        text("child_day_end", limits.TIME, "16:00", required=True),
        text("adult_day_start", limits.TIME, "09:00", required=True),
        text("adult_day_end", limits.TIME, "17:00", required=True),
        FormField.heading("Calendars and walking"),
        text("reminder_minutes_before", limits.WHOLE_NUMBER, "0 to 40320", required=True),
        text("minutes_between_buildings", limits.WHOLE_NUMBER, "0 to 120", required=True),
        text("timezone", ZONE, "Europe/London", required=True),
    ]


def rules_fields() -> list[FormField]:
    return [
        FormField(
            "rules_file",
            "Rules file (path)",
            "",
            placeholder="e.g. ~/northshire-milestones.toml",
            required=True,
            max_length=RULES_PATH,
        )
    ]


class ServiceDetailsScreen(CoordinatorScreen):
    screen_title = "Service"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit details"),
        Binding("r", "load_rules", "Rules file"),
        Binding("x", "clear_rules", "Clear rules"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.details: ServiceDetails | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="service-notice")
        with VerticalScroll(id="service-details"):
            for label, _text in details_rows(ServiceDetails.of(None)):
                with Horizontal(classes="service-row"):
                    yield Label(label, classes="service-label")
                    yield Static("", classes="service-value", id=_row_id(label))
        yield Static(
            "Shared by everyone who uses this database: itineraries, calendars and the timetable use these. "
            "e edits them; r loads the service's own milestone rules file, x goes back to the shipped rules.",
            id="service-help",
        )

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.run_use_case(service_details, self.show_details, failed="Could not load", group="service-load")

    def show_details(self, details: ServiceDetails) -> None:
        self.details = details
        for label, text in details_rows(details):
            self.query_one(f"#{_row_id(label)}", Static).update(text)
        notice = self.query_one("#service-notice", Static)
        missing = details.to_fill_in
        notice.update(f"⚠ To fill in: {_listed(missing)}. Press e to enter the service's details." if missing else "")
        notice.set_class(bool(missing), "-shown")

    def _saved(self, details: ServiceDetails | ServiceChange | None) -> None:
        if details is None:
            return
        shown = details.details if isinstance(details, ServiceChange) else details
        self.show_details(shown)
        self.coordinator.service_details_changed(shown)
        self.notify("Service details saved.", title="Saved", timeout=4)

    def action_edit(self) -> None:
        if self.details is None:
            return
        save = partial(save_service_form, expected_version=self.details.version)
        self.app.push_screen(
            FormScreen(
                "Service details",
                service_fields(self.details),
                save,
                description="Shared by everyone who uses this database. The phone number is printed on every "
                "family's itinerary.",
            ),
            self._saved,
        )

    def action_load_rules(self) -> None:
        if self.details is None:
            return
        save = partial(load_rules_form, expected_version=self.details.version)
        replacing = f" It replaces {self.details.milestone_rules_name}." if self.details.milestone_rules else ""
        self.app.push_screen(
            FormScreen(
                "Milestone rules file",
                rules_fields(),
                save,
                description="The file is read and checked now, layered by milestone id on the shipped rules, and "
                f"kept in the database: every coordinator uses it, and the file itself is no longer needed.{replacing}",
                save_label="Load",
            ),
            self._saved,
        )

    def action_clear_rules(self) -> None:
        details = self.details
        if details is None:
            return
        if not details.milestone_rules:
            self.notify("The service has no rules of its own: the shipped rules are in use.", timeout=5)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                clear = partial(clear_service_rules, expected_version=details.version)
                self.run_use_case(clear, self._saved, failed="Rules not cleared")

        self.app.push_screen(
            ConfirmScreen(
                f"Stop using {details.milestone_rules_name or 'the service’s own rules'}?",
                "The shipped milestone rules alone are used from then on, by everyone. Load the file again with r.",
                yes_label="Clear rules",
                no_label="Keep",
            ),
            answered,
        )


def _row_id(label: str) -> str:
    return "service-" + "".join(ch if ch.isalnum() else "-" for ch in label.lower()).strip("-")


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
