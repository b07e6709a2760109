"""The families to tell of one clinic: who was sent an itinerary that no longer matches it, and why.

A line per family, marked in words, not colour alone: "! send" (a withdrawal, something they were sent that is no
longer happening, whose cancellation has not been exported yet), "! tell" (exported; the family must still be told,
since calendar programs may ignore a cancellation) or "resend" (a change the next export puts right). The
highlighted family's reasons are shown in full underneath. Enter asks for the family's timetable; the screen around
it exports the highlighted family with e. o records that the highlighted family was told (how, the day, who told
them, a note: a form whose errors show under their fields); a exports every family on the list at once (the folder
and formats asked first). Both forms are modal screens: when they close, the screen around reloads the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from coordinator_tui import clock
from coordinator_tui.clinic_time import format_date
from coordinator_tui.export.service import TO_TELL_FORMATS, ExportOutcome, export_to_tell_for_form
from coordinator_tui.models import FamilyTold, ToldHow
from coordinator_tui.services.itineraries.families_to_tell import FamilyToTell
from coordinator_tui.services.itineraries.family_told import (
    HOW_TEXT,
    NOTE_MAX,
    TOLD_BY_MAX,
    default_teller,
    save_family_told,
    told_text,
)
from coordinator_tui.ui import field_limits as limits
from coordinator_tui.ui.background import coordinator_app
from coordinator_tui.ui.widgets.data_table import DataTable
from coordinator_tui.ui.widgets.forms import FormField, FormScreen

NOBODY = (
    "Nobody to tell: every family sent an itinerary for this clinic has one that matches it as it is now. A family "
    "is listed here when something in their itinerary changes after it was exported (the clinic moved or cancelled, "
    "an appointment, hotel or travel changed or removed, the family declined or was cancelled)."
)
HINT = (
    "Sent an itinerary that no longer matches the clinic · e exports the highlighted family, a every family listed "
    "(a change leaves the list then) · ! send / ! tell: something they were sent is no longer happening: export its "
    "cancellation, tell them, then o records that they were told"
)
if TYPE_CHECKING:
    from coordinator_tui.db import Database

LOADING = "Finding the families to tell…"
#: The longest folder the export form takes (Linux's PATH_MAX).
FOLDER_MAX = 4096


class FamiliesToTellTable(DataTable[Text]):
    """One row per family to tell; Enter asks for the family's timetable."""

    HELP_TITLE = "Families to tell"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_family", "Family timetable", show=False),
        Binding("o", "record_told", "Told", tooltip="Record that the highlighted family was told, and how"),
        Binding("a", "export_to_tell", "Export all to tell", tooltip="Export every family on this list at once"),
    ]

    class FamilyRequested(Message):
        def __init__(self, patient_id: int) -> None:
            super().__init__()
            self.patient_id = patient_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.families: list[FamilyToTell] = []

    #: Fixed widths (the reasons run on to the right; the panel underneath shows them in full).
    COLUMNS = (("", 6), ("Family", 22), ("Sent", 10), ("Why", 160))

    def show_families(self, families: Sequence[FamilyToTell]) -> None:
        keep = self.current
        self.families = list(families)
        self.clear(columns=True)
        for label, width in self.COLUMNS:
            self.add_column(Text(label), key=label.lower() or "mark", width=width)
        for family in self.families:
            self.add_row(
                Text(family.mark, style="bold" if family.withdrawal else ""),
                Text(family.full_name),
                Text(format_date(family.last_sent)),
                Text(family.reason_text, no_wrap=True, overflow="ellipsis"),
                key=str(family.patient_id),
            )
        if keep is not None:
            for index, family in enumerate(self.families):
                if family.patient_id == keep.patient_id:
                    self.move_cursor(row=index)

    @property
    def current(self) -> FamilyToTell | None:
        if not self.families or not self.row_count:
            return None
        return self.families[min(max(self.cursor_row, 0), len(self.families) - 1)]

    def action_open_family(self) -> None:
        family = self.current
        if family is not None:
            self.post_message(self.FamilyRequested(family.patient_id))

    def action_record_told(self) -> None:
        """The told form for the highlighted family; saved, the screen around reloads the list."""
        family = self.current
        if family is None:
            self.notify("No family to record: nobody is listed.", severity="warning")
            return

        def saved(record: FamilyTold | None) -> None:
            if record is not None:
                self.notify(told_message(family, record))

        self.app.push_screen(told_form(family), saved)

    def action_export_to_tell(self) -> None:
        """Every family on this list exported at once (their itineraries with cancellations, or cancellation-only
        calendar files); the folder and formats asked first."""
        if not self.families:
            self.notify("Nobody to tell: nothing to export.", severity="warning")
            return
        clinic_id = self.families[0].clinic_id
        folder = str(coordinator_app(self).settings.export_path())
        count = len(self.families)
        form = FormScreen(
            f"Export the {count} {'family' if count == 1 else 'families'} to tell",
            export_fields(folder),
            partial(_export_and_remember, clinic_id=clinic_id),
            description=(
                "Each family's itinerary as it is now, with the cancellations of what they were sent and is no longer "
                "happening; a family no longer coming gets a calendar file cancelling its events. The calendar file "
                "(.ics) is always written. A withdrawal stays on the list until you record that they were told (o)."
            ),
            save_label="Export",
        )

        def exported(result: tuple[ExportOutcome, str, str | None] | None) -> None:
            if result is None:
                return
            outcome, folder_used, problem = result
            coordinator_app(self).settings.export_dir = folder_used  # where the next export starts
            if problem:
                self.notify(problem[:1].upper() + problem[1:] + ".", title="Settings", severity="warning")
            files = f"{len(outcome.paths)} file{'s' if len(outcome.paths) != 1 else ''}"
            lines = [f"Exported {files}: {outcome.note}" if outcome.note else f"Exported {files}"]
            lines += [line for line in (outcome.error, outcome.warning, *outcome.notes) if line]
            self.notify("\n".join(lines), severity="warning" if outcome.error else "information", timeout=12)

        self.app.push_screen(form, exported)


def _export_and_remember(
    database: Database, form: dict[str, Any], *, clinic_id: int
) -> tuple[ExportOutcome, str, str | None]:
    """The export form's use case (in a worker): every family to tell exported, then the folder remembered as the
    next export's (``config.remember_export_dir``); (outcome, the folder, why it was not remembered or None)."""
    from coordinator_tui.config import remember_export_dir, settings_file

    outcome = export_to_tell_for_form(database, form, clinic_id=clinic_id)
    folder = str(Path(str(form.get("folder", "")).strip()).expanduser().absolute())
    return outcome, folder, remember_export_dir(folder, settings_file())


def told_form(family: FamilyToTell) -> FormScreen:
    """The form recording that ``family`` was told of the changes to their visit (o here and on the patient record's
    clinic visits); it closes with the saved ``FamilyTold``, or None when cancelled."""
    return FormScreen(
        f"Told: {family.full_name}",
        told_fields(),
        partial(save_family_told, clinic_id=family.clinic_id, patient_id=family.patient_id),
        description=(
            f"Record that {family.full_name} was told of the changes to their visit ({family.clinic_name}): a "
            "withdrawal leaves the families to tell once they are told after its cancellation was exported. The date "
            "as DD/MM/YYYY, not in the future. The note stays in the database."
        ),
        save_label="Record",
    )


def told_message(family: FamilyToTell, record: FamilyTold) -> str:
    """'Recorded: Testpatient Example told by phone on 26/11/2026 by Nurse Example'."""
    return f"Recorded: {family.full_name} {told_text(record)}"


def told_fields() -> list[FormField]:
    """The told form: how, the day (today), who told them (the operating-system user's name), a note."""
    return [
        FormField(
            "how", "How", ToldHow.PHONE.value, kind="choice", choices=[(HOW_TEXT[how], how.value) for how in ToldHow]
        ),
        FormField("told_on", "On (DD/MM/YYYY)", format_date(clock.today()), required=True, max_length=limits.DATE),
        FormField("told_by", "Told by", default_teller(), required=True, max_length=TOLD_BY_MAX),
        FormField("note", "Note", "", max_length=NOTE_MAX, placeholder="stays in the database"),
    ]


def export_fields(folder: str) -> list[FormField]:
    """The families-to-tell export's form: the folder (the settings' export folder) and the formats."""
    return [
        FormField("folder", "Folder", folder, required=True, max_length=FOLDER_MAX),
        FormField("formats", "Formats", TO_TELL_FORMATS[0][1], kind="choice", choices=list(TO_TELL_FORMATS)),
    ]


class FamiliesToTell(Vertical):
    """The clinic's families to tell: a hint, the list, and the highlighted family's reasons in full."""

    DEFAULT_CSS = """
    FamiliesToTell {
        height: 1fr;
    }
    FamiliesToTell #tell-hint {
        height: auto;
        padding: 0 1;
    }
    FamiliesToTell FamiliesToTellTable {
        height: 1fr;
    }
    FamiliesToTell #tell-detail {
        height: auto;
        max-height: 8;
        padding: 0 1;
        background: $boost;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(LOADING, id="tell-hint")
        yield FamiliesToTellTable(id="tell-table")
        yield Static("", id="tell-detail")

    def show_families(self, families: Sequence[FamilyToTell]) -> None:
        table = self.query_one(FamiliesToTellTable)
        table.show_families(families)
        table.display = bool(families)
        self.query_one("#tell-hint", Static).update(HINT if families else NOBODY)
        self._show_detail()

    @on(DataTable.RowHighlighted, "#tell-table")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self.query_one("#tell-detail", Static)
        family = self.query_one(FamiliesToTellTable).current
        detail.display = family is not None
        if family is None:
            return
        text = Text()
        text.append(family.full_name, style="bold")
        text.append(f" · itinerary last sent {format_date(family.last_sent)}")
        if family.last_told is not None:
            text.append(f" · last recorded as told {format_date(family.last_told)}")
        for reason in family.reasons:
            text.append("\n")
            text.append(f"{'!' if reason.withdrawal else '•'} {reason.text}", style="bold" if reason.withdrawal else "")
        detail.update(text)
