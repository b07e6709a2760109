"""The clinic list's forms: a new clinic (a), a year planned from a recurrence (p, previewed before anything is
created), moving a clinic with everything booked for it (m), and cancelling one (x, after a confirmation that says how
many families are invited).

Each opens from ``ClinicDaysScreen`` through the ``open_*`` functions below (given the list screen, which reloads
when something changed). Saving is ``services.clinics.clinics.save_new_clinic``,
``clinic_series.preview_planned_clinics`` / ``save_planned_clinics``, ``clinic_moves.save_clinic_move`` and
``clinics.cancel_clinic_event``: refusals (a bank holiday named, an overlap at the venue, every reason a move is
refused) show under the field, with what was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from coordinator_tui.models import ClinicEvent
from coordinator_tui.services.clinics import clinic_series, clinics
from coordinator_tui.services.clinics.clinic_day_views import ClinicSummary, clinic_dates_text
from coordinator_tui.services.clinics.clinic_moves import (
    MovedClinic,
    MoveImpact,
    read_move_impact,
    save_clinic_cancel,
    save_clinic_move,
)
from coordinator_tui.services.clinics.clinic_series import PlanPreview
from coordinator_tui.services.clinics.clinics import ClinicFormChoices
from coordinator_tui.ui import field_limits as limits
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormField, FormScreen, _Refused

if TYPE_CHECKING:
    from coordinator_tui.db import Database

NO_VENUE = ""
NEW_START = FormField("new_start", "New first day", "", required=True, placeholder="DD/MM/YYYY", max_length=limits.DATE)
NAME_LIMIT = 180  # the date is added to a planned clinic's name (the column holds 200)


class ClinicList(Protocol):
    """What the forms need of the list screen (``ClinicDaysScreen``): it runs use cases, and reloads the list."""

    @property
    def app(self) -> App[Any]: ...

    def notify(self, message: str, **options: Any) -> None: ...

    def run_use_case(self, use_case: Callable[[Database], Any], done: Callable[[Any], object] | None = None,
                     **options: Any) -> object: ...  # fmt: skip

    select_after_load: int | None

    def load_summaries(self) -> None: ...


def _venue_field(choices: ClinicFormChoices, name: str = "venue_id") -> FormField:
    if not choices.venues:
        return FormField(name, "Venue", NO_VENUE, kind="choice",
                         choices=[("— none yet: add one on Venues (6) —", NO_VENUE)])  # fmt: skip
    options = [(venue_name, str(venue_id)) for venue_id, venue_name in choices.venues]
    return FormField(name, "Venue", options[0][1], kind="choice", choices=[*options, ("— no venue yet —", NO_VENUE)])


def _hours_fields(choices: ClinicFormChoices) -> list[FormField]:
    return [
        FormField("day_start", "Day starts (HH:MM)", f"{choices.day_start:%H:%M}", required=True,
                  max_length=limits.TIME),
        FormField("day_end", "Day ends (HH:MM)", f"{choices.day_end:%H:%M}", required=True, max_length=limits.TIME),
    ]  # fmt: skip


def new_clinic_fields(choices: ClinicFormChoices) -> list[FormField]:
    return [
        FormField("start_date", "First day", "", required=True, placeholder="DD/MM/YYYY", max_length=limits.DATE),
        FormField("days", "Days", "2", required=True, placeholder="1 to 5", max_length=limits.WHOLE_NUMBER),
        _venue_field(choices),
        *_hours_fields(choices),
        FormField("name", "Name", "", placeholder="blank: Combined clinic DD/MM/YYYY", max_length=NAME_LIMIT),
    ]


def plan_fields(choices: ClinicFormChoices) -> list[FormField]:
    return [
        FormField("first", "First clinic", "", required=True, placeholder="DD/MM/YYYY", max_length=limits.DATE),
        FormField("every_weeks", "Every (weeks)", "8", required=True, placeholder="1 to 52",
                  max_length=limits.WHOLE_NUMBER),
        FormField("count", "How many", "6", placeholder="1 to 26, or blank and an until date",
                  max_length=limits.WHOLE_NUMBER),
        FormField("until", "Or until", "", placeholder="DD/MM/YYYY (leave How many blank)", max_length=limits.DATE),
        FormField("days", "Days each", "2", required=True, placeholder="1 to 5", max_length=limits.WHOLE_NUMBER),
        _venue_field(choices),
        *_hours_fields(choices),
        FormField("name", "Name", "Combined clinic", required=True, placeholder="each named NAME DD/MM/YYYY",
                  max_length=NAME_LIMIT),
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------------------------
# Plan a year: preview, then create
# ------------------------------------------------------------------------------------------------------------


class PlanPreviewScreen(ModalScreen[bool]):
    """The dates a plan gives, with notes on those moved off a bank holiday; y creates them, n goes back."""

    CSS_PATH = "clinic_forms.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Create them"),
        Binding("n", "answer(False)", "Back to the plan"),
        Binding("escape", "answer(False)", "Back", key_display="Esc", show=False),
    ]
    AUTO_FOCUS = "#plan-dates"

    def __init__(self, preview: PlanPreview) -> None:
        super().__init__()
        self.preview = preview

    @property
    def summary(self) -> str:
        count, where = len(self.preview.dates), f" at {self.preview.venue}" if self.preview.venue else ""
        moved = sum(1 for d in self.preview.dates if d.note)
        moved_text = f"; {moved} moved off a bank holiday or weekend" if moved else "; none on a bank holiday"
        hours = f"{self.preview.day_start:%H:%M}–{self.preview.day_end:%H:%M}"
        return f"{count} clinic{'s' if count != 1 else ''} of {self.preview.days} day(s){where}, {hours}{moved_text}."

    def compose(self) -> ComposeResult:
        with Vertical(id="plan-dialog") as dialog:
            dialog.border_title = f"Plan: {self.preview.name}"
            yield Static(self.summary, id="plan-summary")
            with VerticalScroll(id="plan-dates"):
                yield Static("\n".join(self.preview.lines()), id="plan-lines")
            with Horizontal(id="plan-buttons"):
                yield Button(f"Create {len(self.preview.dates)} clinics (y)", id="plan-yes", variant="primary",
                             compact=True)  # fmt: skip
                yield Button("Back to the plan (n)", id="plan-no", compact=True)
        yield Footer()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed, "#plan-yes")
    def _yes(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#plan-no")
    def _no(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)


class PlanFormScreen(FormScreen[list[ClinicEvent] | PlanPreview]):
    """Enter previews the plan (nothing written); y on the preview creates the clinics as one series. A refused
    plan (an overlap at the venue, wrong values) shows under the fields, with what was typed kept."""

    def __init__(self, choices: ClinicFormChoices) -> None:
        super().__init__(
            "Plan a year of clinics",
            plan_fields(choices),
            self._save,
            description="Every N weeks on the first clinic's weekday. A date on a bank holiday or weekend moves to the "
            "next same weekday. Enter shows the dates first; nothing is created until you say so.",
            save_label="Preview",
        )
        self.confirmed_for: dict[str, Any] | None = None  # the values whose preview the user said to create

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#form-status", Static).update("Enter previews · Esc cancels")

    def _save(self, database: Database, values: dict[str, Any]) -> list[ClinicEvent] | PlanPreview:
        if values == self.confirmed_for:
            return clinic_series.save_planned_clinics(database, values)
        return clinic_series.preview_planned_clinics(database, values)

    def _save_answered(self, result: list[ClinicEvent] | PlanPreview | _Refused) -> None:
        if isinstance(result, PlanPreview):
            self.saving = False
            self.query_one("#form-status", Static).update("Enter previews · Esc cancels")
            self.show_errors({})
            self._show_preview(result)
            return
        super()._save_answered(result)

    def _show_preview(self, preview: PlanPreview) -> None:
        values = self.values()

        def answered(create: bool | None) -> None:
            if create:
                self.confirmed_for = values
                self.action_save()
            else:
                self.show_message("Nothing created: change the plan, or Esc to leave.")

        self.app.push_screen(PlanPreviewScreen(preview), answered)


# ------------------------------------------------------------------------------------------------------------
# Opening the forms from the list
# ------------------------------------------------------------------------------------------------------------


def _with_choices(screen: ClinicList, then: Callable[[ClinicFormChoices], None]) -> None:
    screen.run_use_case(clinics.clinic_form_choices, then, failed="Could not read the venues", group="clinic-form")


def open_new_clinic(screen: ClinicList) -> None:
    def show(choices: ClinicFormChoices) -> None:
        def saved(clinic: ClinicEvent | None) -> None:
            if clinic is not None:
                screen.notify(f"Created {clinic.name} ({clinic_dates_text(clinic)})")
                screen.select_after_load = clinic.id
                screen.load_summaries()

        form = FormScreen(
            "New clinic",
            new_clinic_fields(choices),
            clinics.save_new_clinic,
            description="A run of consecutive days at one venue. A bank holiday or weekend is refused, as is a day "
            "when the venue holds another clinic. Enter on a choice opens its list; Enter elsewhere saves.",
            save_label="Create",
        )
        screen.app.push_screen(form, saved)

    _with_choices(screen, show)


def open_plan(screen: ClinicList) -> None:
    def show(choices: ClinicFormChoices) -> None:
        def saved(created: list[ClinicEvent] | PlanPreview | None) -> None:
            if isinstance(created, list) and created:
                screen.notify(f"Created {len(created)} clinics, {clinic_dates_text(created[0])} first")
                screen.select_after_load = created[0].id
                screen.load_summaries()

        screen.app.push_screen(PlanFormScreen(choices), saved)

    _with_choices(screen, show)


def move_description(clinic: ClinicEvent, impact: MoveImpact) -> str:
    where = f" at {clinic.venue}" if clinic.venue else ""
    return (
        f"{clinic.name}, {clinic_dates_text(clinic)}{where}. Moving it moves {impact.text()} by the same number of "
        "days, at the same local times; a name holding its date follows. Families keep their places: tell them "
        "(their itineraries change)."
    )


def open_move(screen: ClinicList, summary: ClinicSummary) -> None:
    clinic = summary.clinic
    assert clinic.id is not None
    clinic_id, version = clinic.id, clinic.version

    def save(database: Database, values: dict[str, Any]) -> MovedClinic:
        return save_clinic_move(database, clinic_id, values, expected_version=version)

    def saved(moved: MovedClinic | None) -> None:
        if moved is not None:
            screen.notify(f"Moved to {clinic_dates_text(moved.clinic)}: {moved.impact.text()}")
            screen.select_after_load = moved.clinic.id
            screen.load_summaries()

    def show(impact: MoveImpact) -> None:
        form = FormScreen(
            f"Move {clinic.name}",
            [NEW_START],
            save,
            description=move_description(clinic, impact),
            save_label="Move",
        )
        screen.app.push_screen(form, saved)

    screen.run_use_case(partial(read_move_impact, clinic_id=clinic_id), show, failed="Could not read the clinic")


def cancel_question(summary: ClinicSummary) -> tuple[str, str]:
    clinic = summary.clinic
    invited = summary.invited
    families = f"{invited} famil{'y is' if invited == 1 else 'ies are'} invited ({summary.confirmed} confirmed)"
    detail = (
        f"{families}: they keep their places on record, and are listed to be told that it is cancelled."
        if invited
        else "No family is invited yet."
    )
    return f"Cancel {clinic.name} ({clinic_dates_text(clinic)})?", detail + " The clinic stays listed as cancelled."


def ask_cancel(screen: ClinicList, summary: ClinicSummary) -> None:
    clinic = summary.clinic
    assert clinic.id is not None
    clinic_id, version = clinic.id, clinic.version

    def done(cancelled: ClinicEvent) -> None:
        screen.notify(f"Cancelled {cancelled.name}")
        screen.load_summaries()

    def answered(confirmed: bool | None) -> None:
        if not confirmed:
            screen.notify("Nothing was cancelled.")
            return
        cancel = partial(save_clinic_cancel, clinic_id=clinic_id, expected_version=version)
        screen.run_use_case(cancel, done, failed="Not cancelled", group="clinic-cancel")

    question, detail = cancel_question(summary)
    screen.app.push_screen(ConfirmScreen(question, detail, yes_label="Cancel the clinic", no_label="Keep it"), answered)
