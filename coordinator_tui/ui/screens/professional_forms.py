"""The professionals directory's forms and dialogs: add or edit a professional (a likely duplicate is saved only once
the user confirms it), archive one (saying what they are in, and offering to end their memberships), and the
bookings left to move once they are archived. Saving is ``services.people.professional_directory``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from coordinator_tui.models import Professional, ProfessionalSetting
from coordinator_tui.services.people.professional_directory import professional_form_values
from coordinator_tui.services.people.professionals import (
    USUAL_DAYS_TEXT_LIMIT,
    ArchiveImpact,
    Booking,
    LikelyDuplicateError,
)
from coordinator_tui.ui import field_limits as limits
from coordinator_tui.ui.field_limits import column_field
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormField, FormScreen, _Refused

if TYPE_CHECKING:
    from coordinator_tui.db import Database

#: Save a professional from the form's values; ``allow_duplicate`` once the user confirmed a likely duplicate.
ProfessionalSave = Callable[["Database", dict[str, Any], bool], Professional]

CHOOSE_DISCIPLINE = ("Choose a discipline…", "")
SETTINGS = [("At the centre", ProfessionalSetting.CENTRE.value), ("Local (the patient's area)", "local")]
SHOWN_AT_MOST = 8  # memberships or bookings listed in a dialog; the rest are counted


def discipline_label(name: str) -> str:
    return name[:1].upper() + name[1:]


def picked_professional_text(professional: Professional) -> str:
    """Who was picked, as a form says it: "Dr Quinn Gooseberry — Cardiology, Exampleton Children's Hospital"."""
    where = ", ".join(x for x in (discipline_label(professional.discipline), professional.organisation) if x)
    role = f" ({professional.role})" if professional.role else ""
    return f"{professional.display_name} — {where}{role}"


def professional_fields(professional: Professional | None, disciplines: Sequence[str]) -> list[FormField]:
    v = professional_form_values(professional)
    names = list(disciplines)
    if professional is not None and professional.discipline not in names:
        names.append(professional.discipline)
    choices = [CHOOSE_DISCIPLINE, *((discipline_label(name), name) for name in names)]

    def text(name: str, label: str, **options: Any) -> FormField:
        return column_field(Professional, name, label, v.get(name, ""), **options)

    return [
        text("title", "Title", placeholder="Dr, Prof, Mx… (blank if none)"),
        text("given_name", "Given name", required=True),
        text("family_name", "Family name", required=True),
        FormField("discipline", "Discipline", v.get("discipline", ""), kind="choice", choices=choices, required=True),
        text("role", "Role", placeholder="e.g. Consultant paediatric cardiologist"),
        text("organisation", "Organisation"),
        FormField("setting", "Works", v.get("setting", "centre"), kind="choice", choices=SETTINGS),
        FormField("phone", "Phone", v.get("phone", ""), placeholder="01632 960123", max_length=limits.PHONE),
        text("email", "Email", placeholder="name@example.org"),
        FormField(
            "usual_days",
            "Usual clinic days",
            v.get("usual_days", ""),
            placeholder="e.g. Mon, Wed",
            max_length=USUAL_DAYS_TEXT_LIMIT,
        ),
    ]


class ProfessionalFormScreen(FormScreen[Professional]):
    """The professional form. A save refused as a likely duplicate asks whether to save anyway; saying no keeps the
    form as typed. The confirmation holds for the values it was given only: a change asks again."""

    def __init__(
        self, title: str, professional: Professional | None, disciplines: Sequence[str], save: ProfessionalSave
    ) -> None:
        super().__init__(
            title,
            professional_fields(professional, disciplines),
            self._save,
            description="Fields marked * are required. Enter on a choice opens its list; Enter elsewhere saves.",
        )
        self.save_professional = save
        self.confirmed_for: dict[str, Any] | None = None  # the values the user said to save despite a likeness

    def _save(self, database: Database, values: dict[str, Any]) -> Professional:
        return self.save_professional(database, values, values == self.confirmed_for)

    def _save_answered(self, result: Professional | _Refused) -> None:
        if isinstance(result, _Refused) and isinstance(result.error, LikelyDuplicateError):
            self.saving = False
            self.query_one("#form-status", Static).update("Enter saves · Esc cancels")
            self.show_errors({})
            self._ask_about_duplicate(result.error)
            return
        super()._save_answered(result)

    def _ask_about_duplicate(self, error: LikelyDuplicateError) -> None:
        values = self.values()

        def answered(save_anyway: bool | None) -> None:
            if save_anyway:
                self.confirmed_for = values
                self.action_save()
            else:
                self.show_message("Not saved: change the details, or Esc to leave without saving.")

        lines = "\n".join(f"• {match.description}" for match in error.matches[:SHOWN_AT_MOST])
        self.app.push_screen(
            ConfirmScreen(
                "This looks like a professional already in the directory. Save anyway?",
                f"Same name and discipline, or same email:\n{lines}\n"
                "Two records for one person split their care teams and bookings.",
                yes_label="Save anyway",
                no_label="Go back",
            ),
            answered,
        )


# ------------------------------------------------------------------------------------------------------------
# Archiving
# ------------------------------------------------------------------------------------------------------------


def _listed(lines: Sequence[str]) -> str:
    shown = [f"• {line}" for line in lines[:SHOWN_AT_MOST]]
    if len(lines) > SHOWN_AT_MOST:
        shown.append(f"… and {len(lines) - SHOWN_AT_MOST} more")
    return "\n".join(shown)


def impact_text(impact: ArchiveImpact) -> str:
    """What archiving touches, as the dialog lists it."""
    parts = []
    if impact.memberships:
        members = [
            f"{m.patient_name}{' (named worker)' if m.is_named_worker else ''}{f' — {m.role}' if m.role else ''}"
            for m in impact.memberships
        ]
        parts.append(f"In the current care team of {len(members)}:\n{_listed(members)}")
    if impact.bookings:
        parts.append(
            f"Booked in {len(impact.bookings)} future clinic sessions:\n{_listed(bookings_text(impact.bookings))}"
        )
    return "\n\n".join(parts)


def bookings_text(bookings: Sequence[Booking]) -> list[str]:
    return [booking.describe() for booking in bookings]


class ArchiveProfessionalScreen(ModalScreen[bool]):
    """Archive a professional: says what they are in and offers the choices. The result is True only when the user
    chose to archive (ending their memberships, if any). A named worker cannot be archived: the dialog says how to
    hand the role over, and only closes."""

    CSS_PATH = "professional_forms.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "archive", "Archive"),
        Binding("n", "keep", "Keep"),
        Binding("escape", "keep", "Keep", key_display="Esc", show=False),
    ]
    AUTO_FOCUS = "#archive-detail"  # ↑↓ scroll a long list; y and n answer wherever the focus is

    def __init__(self, professional: Professional, impact: ArchiveImpact) -> None:
        super().__init__()
        self.professional = professional
        self.impact = impact

    @property
    def blocked(self) -> bool:
        return bool(self.impact.named_worker_of)

    @property
    def question(self) -> str:
        name = self.professional.display_name
        if self.blocked:
            n = len(self.impact.named_worker_of)
            return f"{name} is the named worker of {n} patient{'s' if n != 1 else ''}: not archived."
        if self.impact.is_clear:
            return f"Archive {name}? They are in no current care team and booked in no future clinic."
        if self.impact.memberships:
            return f"Archive {name}? Their care-team memberships end today."
        return f"Archive {name}? Their future bookings must be moved."

    @property
    def detail(self) -> str:
        if self.blocked:
            return (
                f"{impact_text(self.impact)}\n\nMake someone else each patient's named worker first (the patient's "
                "record, Care team, w), then archive."
            )
        after = "\n\nArchived professionals are hidden from the directory (x shows them) and cannot join a care team."
        if self.impact.bookings:
            after += " The bookings above are listed again after archiving, to move them on Clinic days."
        return impact_text(self.impact) + after if not self.impact.is_clear else after.strip()

    @property
    def archive_label(self) -> str:
        if self.impact.memberships:
            n = len(self.impact.memberships)
            return f"End {n} membership{'s' if n != 1 else ''} and archive"
        return "Archive"

    def compose(self) -> ComposeResult:
        with Vertical(id="archive-dialog") as dialog:
            dialog.border_title = "Archive a professional"
            yield Static(f"? {self.question}", id="archive-question")
            with VerticalScroll(id="archive-detail"):
                yield Static(self.detail, id="archive-detail-text")
            with Horizontal(id="archive-buttons"):
                if not self.blocked:
                    yield Button(f"{self.archive_label} (y)", id="archive-yes", variant="warning", compact=True)
                yield Button("Keep (n)" if not self.blocked else "Close (n)", id="archive-keep", compact=True)
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "archive" and self.blocked)

    def action_archive(self) -> None:
        self.dismiss(True)

    def action_keep(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#archive-yes")
    def _yes(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#archive-keep")
    def _keep(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)


class BookingsToMoveScreen(ModalScreen[None]):
    """After archiving: the future bookings that still name the professional, to move on Clinic days."""

    CSS_PATH = "professional_forms.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", key_display="Esc"),
        Binding("enter", "close", "Close", show=False),
    ]

    def __init__(self, name: str, bookings: Sequence[Booking]) -> None:
        super().__init__()
        self.professional_name = name
        self.bookings = list(bookings)

    @property
    def lines(self) -> list[str]:
        return bookings_text(self.bookings)

    def compose(self) -> ComposeResult:
        with Vertical(id="bookings-dialog") as dialog:
            dialog.border_title = "Bookings to move"
            n = len(self.bookings)
            yield Static(
                f"{self.professional_name} is archived. {n} future booking{'s' if n != 1 else ''} still name"
                f"{'s' if n == 1 else ''} them: move {'it' if n == 1 else 'each'} on Clinic days (2).",
                id="bookings-intro",
            )
            with VerticalScroll(id="bookings-list", can_focus=False):
                yield Static("\n".join(f"• {line}" for line in self.lines), id="bookings-lines")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
