"""The Service screen: the service's details, shared by everyone who uses the database, and their forms.

``e`` edits the details in a modal form (what to bring, one item a line, shows the defaults while blank; the secure
email marker starts the subject of the email drafts; checked; what was typed stays on screen when something is
wrong; a save made after someone else's is refused, saying who). On a new database the defaults are shown and the
screen says to fill in the name, the phone number and the address.

The milestone rules are service-wide, so changing them changes every young person's checklist. ``r`` loads or
replaces the rules file by typing its path (read and checked now), ``x`` goes back to the shipped rules, ``g``
regenerates everyone's checklists with the rules in force (to finish a regeneration that stopped). Each first shows
what regenerating everyone would change (``services.transition.rules_change.preview``: nothing is written yet) in
a confirmation: ``y`` stores the rules (kept in the database) and regenerates every checklist in batches, with the
progress shown on this screen while the app stays usable; ``n`` or Escape changes nothing.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, Static

from coordinator_tui.models import Service
from coordinator_tui.services.service_details import (
    FIELD_LABELS,
    ServiceChange,
    ServiceDetails,
    default_bring_items,
    details_rows,
    form_values,
    save_service_form,
    service_details,
)
from coordinator_tui.services.transition.rules_change import (
    Regeneration,
    RulesChangePreview,
    apply_rules_change,
    preview,
    preview_lines,
    preview_rules_form,
    regeneration_line,
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
        FormField.heading("Itineraries and email drafts"),
        column_field(
            Service,
            "what_to_bring",
            FIELD_LABELS["what_to_bring"],
            v["what_to_bring"],
            kind="multiline",
            placeholder="Blank: the defaults, " + "; ".join(default_bring_items()),
        ),
        column_field(
            Service,
            "secure_email_marker",
            FIELD_LABELS["secure_email_marker"],
            v["secure_email_marker"],
            placeholder="e.g. [secure]: starts the subject",
        ),
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


def preview_question(change: RulesChangePreview) -> tuple[str, str]:
    """The confirmation's question and its yes button, for a new rules file, clearing the rules, or a rerun."""
    new = change.new_rules
    if new is None:
        return "Regenerate everyone's checklists with the rules in force?", "Regenerate"
    if not new.text:
        return "Go back to the shipped rules and regenerate everyone's checklists?", "Clear and regenerate"
    return f"Use {new.name or 'these rules'} and regenerate everyone's checklists?", "Use and regenerate"


def preview_detail(change: RulesChangePreview) -> str:
    stored = "stores the rules for everyone and regenerates" if change.new_rules is not None else "regenerates"
    return "\n".join(
        [
            *preview_lines(change),
            f"Nothing has changed yet. y {stored} every checklist in batches (done items and notes are kept); "
            "n or Esc changes nothing.",
        ]
    )


class RegenerationProgress(Message):
    """How far a regeneration has got (posted from its worker thread after each batch)."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class ServiceDetailsScreen(CoordinatorScreen):
    screen_title = "Service"
    CSS_PATH = "service_details.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit details"),
        Binding("r", "load_rules", "Rules file"),
        Binding("x", "clear_rules", "Clear rules"),
        Binding("g", "regenerate", "Regenerate checklists"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.details: ServiceDetails | None = None
        self.regenerating = False

    def compose_body(self) -> ComposeResult:
        yield Static("", id="service-notice")
        yield Static("", id="service-progress")
        with VerticalScroll(id="service-details"):
            for label, _text in details_rows(ServiceDetails.of(None)):
                with Horizontal(classes="service-row"):
                    yield Label(label, classes="service-label")
                    yield Static("", classes="service-value", id=_row_id(label))
        yield Static(
            "Shared by everyone who uses this database: itineraries, calendars and the timetable use these. "
            "e edits them; r loads the service's own milestone rules file, x goes back to the shipped rules, g "
            "regenerates everyone's checklists (each shows what would change first).",
            id="service-help",
        )

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.run_use_case(service_details, self.show_details, failed="Could not load", group="service-load")

    def show_details(self, details: ServiceDetails) -> None:
        self.details = details
        for label, text in details_rows(details):
            # As plain text: a value such as "[secure]" is not markup.
            self.query_one(f"#{_row_id(label)}", Static).update(Content(text))
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
        if self.details is None or self._busy():
            return
        replacing = f" It replaces {self.details.milestone_rules_name}." if self.details.milestone_rules else ""
        self.app.push_screen(
            FormScreen(
                "Milestone rules file",
                rules_fields(),
                preview_rules_form,
                description="The file is read and checked now, layered by milestone id on the shipped rules. Next "
                "you see what it would change on everyone's checklists, and confirm: then it is kept in the "
                f"database (every coordinator uses it; the file itself is no longer needed).{replacing}",
                save_label="Preview",
            ),
            self._confirm_change,
        )

    def action_clear_rules(self) -> None:
        details = self.details
        if details is None or self._busy():
            return
        if not details.milestone_rules:
            self.notify("The service has no rules of its own: the shipped rules are in use.", timeout=5)
            return
        self.run_use_case(partial(preview, new_rules_text=""), self._confirm_change, failed="Rules not cleared")

    def action_regenerate(self) -> None:
        if self.details is None or self._busy():
            return
        self.run_use_case(
            partial(preview, new_rules_text=None), self._confirm_change, failed="Checklists not regenerated"
        )

    def _busy(self) -> bool:
        if self.regenerating:
            self.notify("Checklists are being regenerated: wait for it to finish.", severity="warning", timeout=5)
        return self.regenerating

    def _confirm_change(self, change: RulesChangePreview | None) -> None:
        """Show what the change would do; on yes, store the rules and regenerate everyone."""
        if change is None:
            return
        question, yes_label = preview_question(change)

        def answered(yes: bool | None) -> None:
            if yes:
                self._apply(change)

        self.app.push_screen(
            ConfirmScreen(question, preview_detail(change), yes_label=yes_label, no_label="Change nothing"),
            answered,
        )

    def _apply(self, change: RulesChangePreview) -> None:
        self.regenerating = True
        self._show_progress(f"Regenerating checklists: 0 of {change.summary.patients} patients…")

        def report(done: int, total: int) -> None:
            self.post_message(RegenerationProgress(done, total))

        def failed(_text: str) -> None:
            self.regenerating = False
            self._show_progress("")

        self.run_use_case(
            lambda database: apply_rules_change(database, change, progress=report),
            self._regenerated,
            failed="Rules not changed",
            on_error=failed,
            group="rules-change",
        )

    @on(RegenerationProgress)
    def _progress(self, message: RegenerationProgress) -> None:
        if self.regenerating:
            self._show_progress(f"Regenerating checklists: {message.done} of {message.total} patients…")

    def _regenerated(self, result: Regeneration) -> None:
        self.regenerating = False
        line = regeneration_line(result)
        self._show_progress(("✔ " if result.finished else "⚠ ") + line)
        self.notify(
            line,
            title="Checklists regenerated" if result.finished else "Regeneration stopped",
            severity="information" if result.finished else "warning",
            timeout=8,
        )
        self.action_reload()

    def _show_progress(self, text: str) -> None:
        progress = self.query_one("#service-progress", Static)
        progress.update(text)
        progress.set_class(bool(text), "-shown")


def _row_id(label: str) -> str:
    return "service-" + "".join(ch if ch.isalnum() else "-" for ch in label.lower()).strip("-")


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
