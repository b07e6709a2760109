"""Invitations for one clinic: the proposed list with why each family is due, then invite it in one write.

The list starts as the families due for review that the clinic's staffed hours can serve
(``invite_proposal.invitation_proposal``), each with why ("last attended 15/12/2025, review every 12 months: due
15/12/2026", "never attended"). Below it, the families due that do not fit, with why, so none is silently left out.
``a`` adds any current patient (a picker), ``d`` takes the highlighted family off the list (a due one goes to the
list below), ``i`` invites the list after a confirmation naming how many. Opened with ``i`` from the clinic list and
from one clinic; Escape goes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from coordinator_tui.services.clinics.invitations import PatientChoice, load_patients_to_add, save_invitations
from coordinator_tui.services.clinics.invite_proposal import DueFamily, InvitationProposal, load_proposal
from coordinator_tui.text_fold import fold
from coordinator_tui.ui.screens.base import CoordinatorScreen
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.data_table import DataTable
from coordinator_tui.ui.widgets.picker import PickerScreen

if TYPE_CHECKING:
    from coordinator_tui.db import Database

ADDED_REASON = "added by you"


@dataclass(frozen=True)
class Chosen:
    patient_id: int
    name: str
    reason: str
    due: DueFamily | None  # None: added by hand, not due


class ClinicInvitationsScreen(CoordinatorScreen):
    """The proposed invite list of one clinic; a adds, d removes, i invites."""

    screen_title = "Invitations"
    CSS_PATH = "clinic_invitations.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", key_display="Esc"),
        Binding("a", "add", "Add patient"),
        Binding("d", "remove", "Remove"),
        Binding("i", "invite", "Invite list"),
    ]

    def __init__(self, clinic_id: int) -> None:
        super().__init__()
        self.clinic_id = clinic_id
        self.proposal: InvitationProposal | None = None
        self.chosen: list[Chosen] = []
        self.left_out: list[tuple[DueFamily, str]] = []
        self.loaded = False
        self.invited = 0

    def compose_body(self) -> ComposeResult:
        yield Static("Loading the proposed list…", id="invitations-title", classes="pane-title")
        yield Static("", id="invitations-capacity", classes="hint")
        yield DataTable(id="invite-list", cursor_type="row", zebra_stripes=True)
        yield Static("", id="left-out-title", classes="pane-title")
        yield DataTable(id="left-out-list", cursor_type="row", zebra_stripes=True, show_cursor=False)
        yield Static(
            "a adds a patient · d takes the highlighted family off the list · i invites the list · Esc back",
            id="invitations-hint",
            classes="hint",
        )

    def on_mount(self) -> None:
        table = self.query_one("#invite-list", DataTable)
        table.add_column("Patient", key="patient", width=26)
        table.add_column("Why invite", key="why")
        left = self.query_one("#left-out-list", DataTable)
        left.add_column("Patient", key="patient", width=26)
        left.add_column("Why due · why not on the list", key="why")
        left.can_focus = False
        self.load()

    def load(self) -> None:
        self.run_use_case(
            partial(load_proposal, clinic_id=self.clinic_id),
            self._show_proposal,
            failed="Could not load the proposed list",
            group="invitations-load",
            exclusive=True,
        )

    def _show_proposal(self, proposal: InvitationProposal) -> None:
        self.proposal = proposal
        self.chosen = [Chosen(f.patient_id, f.name, f.reason, f) for f in proposal.proposed]
        self.left_out = [(f, f.not_fitting) for f in proposal.due_not_fitting]
        self.loaded = True
        self.redraw()
        self.query_one("#invite-list", DataTable).focus()

    def redraw(self) -> None:
        proposal = self.proposal
        if proposal is None:
            return
        table = self.query_one("#invite-list", DataTable)
        row = table.cursor_row
        table.clear()
        for family in self.chosen:
            table.add_row(
                Text(family.name, no_wrap=True, overflow="ellipsis"), Text(family.reason), key=str(family.patient_id)
            )
        if self.chosen:
            table.move_cursor(row=min(row, len(self.chosen) - 1))
        table.display = bool(self.chosen)
        count = len(self.chosen)
        families = "family" if count == 1 else "families"
        listed = f" · {proposal.already_listed} already on the clinic's list" if proposal.already_listed else ""
        self.query_one("#invitations-title", Static).update(
            f"{proposal.clinic_name} ({proposal.start_date:%d/%m/%Y}) · to invite: {count} {families}{listed}"
            if count
            else f"{proposal.clinic_name} ({proposal.start_date:%d/%m/%Y}) · nobody on the list to invite (a adds)"
            + listed
        )
        self.query_one("#invitations-capacity", Static).update(
            f"Hours the proposal needs, of those staffed: {proposal.capacity_text}"
        )
        left = self.query_one("#left-out-list", DataTable)
        left.clear()
        for family, why_not in self.left_out:
            left.add_row(
                Text(family.name, no_wrap=True, overflow="ellipsis"),
                Text(f"{family.reason}\n✗ not on the list: {why_not}", no_wrap=True, overflow="ellipsis"),
                key=str(family.patient_id),
                height=2,
            )
        left.display = bool(self.left_out)
        self.query_one("#left-out-title", Static).update(
            f"Due but not on the list ({len(self.left_out)})" if self.left_out else "Every due family is on the list"
        )

    def current(self) -> Chosen | None:
        table = self.query_one("#invite-list", DataTable)
        if not self.chosen or not table.row_count:
            return None
        return self.chosen[min(table.cursor_row, len(self.chosen) - 1)]

    # -- actions ------------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_remove(self) -> None:
        family = self.current()
        if family is None:
            self.notify("Nobody on the list to remove.", severity="warning")
            return
        self.chosen.remove(family)
        if family.due is not None:
            self.left_out.insert(0, (family.due, "taken off the list by you"))
        self.redraw()
        self.notify(f"{family.name} taken off the list.")

    def action_add(self) -> None:
        if not self.loaded:
            return
        chosen_ids = {c.patient_id for c in self.chosen}
        clinic_id = self.clinic_id

        def search(database: Database, text: str) -> list[tuple[str, str]]:
            wanted = fold(text.strip())
            return [
                (str(c.patient_id), c.label)
                for c in load_patients_to_add(database, clinic_id)
                if c.patient_id not in chosen_ids and wanted in fold(c.label)
            ]

        self.app.push_screen(
            PickerScreen(
                "Add a patient to the invite list", search, none_at_all="every current patient is on the list"
            ),
            self._picked,
        )

    def _picked(self, key: str | None) -> None:
        if key is None:
            return
        patient_id = int(key)
        due = next((f for f, _why in self.left_out if f.patient_id == patient_id), None)
        self.left_out = [(f, why) for f, why in self.left_out if f.patient_id != patient_id]
        if due is not None:
            self.chosen.append(Chosen(patient_id, due.name, due.reason, due))
            self.redraw()
            self.notify(f"{due.name} added to the list.")
            return
        self.run_use_case(
            partial(load_patients_to_add, clinic_id=self.clinic_id),
            partial(self._add_named, patient_id),
            failed="Could not add the patient",
        )

    def _add_named(self, patient_id: int, choices: list[PatientChoice]) -> None:
        for choice in choices:
            if choice.patient_id == patient_id:
                name = choice.name
                self.chosen.append(Chosen(patient_id, name, ADDED_REASON, None))
                self.redraw()
                self.query_one("#invite-list", DataTable).move_cursor(row=len(self.chosen) - 1)
                self.notify(f"{name} added to the list.")
                return

    def action_invite(self) -> None:
        if not self.chosen:
            self.notify("Nobody on the list: a adds a patient.", severity="warning")
            return
        count = len(self.chosen)
        families = "family" if count == 1 else "families"
        names = ", ".join(c.name for c in self.chosen[:6]) + (" …" if count > 6 else "")
        self.app.push_screen(
            ConfirmScreen(f"Invite {count} {families}?", names, yes_label=f"Invite {count}"),
            self._answered,
        )

    def _answered(self, yes: bool | None) -> None:
        if not yes:
            return
        ids = [c.patient_id for c in self.chosen]
        self.run_use_case(
            partial(save_invitations, clinic_id=self.clinic_id, patient_ids=ids),
            self._invited,
            failed="Not invited",
        )

    def _invited(self, count: int) -> None:
        self.invited += count
        self.notify(f"Invited {count} famil{'y' if count == 1 else 'ies'}.")
        self.dismiss()
