"""The families to tell of one clinic: who was sent an itinerary that no longer matches it, and why.

A line per family (a withdrawal, which a new export cannot take out of their calendar, marked "! tell" in words,
not colour alone), the highlighted family's reasons in full underneath. Enter asks for the family's timetable; the
screen around it exports the highlighted family with e.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from coordinator_tui.clinic_time import format_date
from coordinator_tui.services.itineraries.families_to_tell import FamilyToTell

NOBODY = (
    "Nobody to tell: every family sent an itinerary for this clinic has one that matches it as it is now. A family "
    "is listed here when something in their itinerary changes after it was exported (the clinic moved or cancelled, "
    "an appointment, hotel or travel changed or removed, the family declined or was cancelled)."
)
HINT = (
    "Sent an itinerary that no longer matches the clinic · e re-exports the highlighted family (a change leaves the "
    "list then) · ! tell: their calendar still shows something withdrawn, tell them yourself"
)
LOADING = "Finding the families to tell…"


class FamiliesToTellTable(DataTable[Text]):
    """One row per family to tell; Enter asks for the family's timetable."""

    HELP_TITLE = "Families to tell"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "open_family", "Family timetable", show=False)]

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
                Text("! tell" if family.withdrawal else "resend", style="bold" if family.withdrawal else ""),
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
        for reason in family.reasons:
            text.append("\n")
            text.append(f"{'!' if reason.withdrawal else '•'} {reason.text}", style="bold" if reason.withdrawal else "")
        detail.update(text)
