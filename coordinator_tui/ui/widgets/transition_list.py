"""One patient's transition checklist: the patient record's Transition tab.

``TransitionList(patient_id, id=...)`` loads the checklist off the UI thread (``reload()``), with the use case
``services.transition.checklists.patient_checklist``: items grouped by stage (a heading row per stage) in the
rules' stage order (``stages`` in the rules file: Ready, Steady, Go, Hello, then the transfer steps and the yearly
reviews), each stage in date order. When the tab first shows, the cursor is on the open item due first and its
stage's heading is in view (the young person's current stage). Every item shows its state as a symbol and a word
(⚠ OVERDUE, ● DUE, ○ UPCOMING, ✔ DONE, – N/A, ✗ MISSED), never by colour alone; a missed item's reason is in the
detail under the table. Above the table: a planned transfer date that has passed ("has the transfer happened?"),
"Checklist closed on DD/MM/YYYY: reason" once it is closed, and the totals; under them the rules' clinical
sign-off ("Rules reviewed by X on DD/MM/YYYY", or not yet reviewed), which the help (F1) shows too.

Keys while the list has the focus (shown in the footer; a key that would change nothing is dimmed):

- ``o`` to do (reopen), ``i`` in progress, ``d`` done today: one key, saved at once;
- ``D`` done on another date, ``n`` not applicable (asks for the reason; an empty reason keeps the form open),
  ``e`` / Enter the note: a form.

Reopening a done or not-applicable item asks first (its completion date or reason is cleared). Every save carries
the version the list showed, so a change someone else saved meanwhile is refused with their name and time, and
the list reloads. ``p`` and ``t`` stay with the record screen (edit patient, Transition tab).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Resize, Show
from textual.widgets import Static

from coordinator_tui import clock
from coordinator_tui.models import TransitionItem, TransitionStatus
from coordinator_tui.services.transition.checklists import (
    FLAG_LABELS,
    ChecklistRow,
    DueFlag,
    MilestoneRulesForSaving,
    PatientChecklist,
    SavedItem,
    patient_checklist,
    set_item_note,
    set_item_status,
)
from coordinator_tui.ui import field_limits as limits
from coordinator_tui.ui.background import RunsUseCases
from coordinator_tui.ui.field_limits import column_field, column_limit
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.data_table import DataTable
from coordinator_tui.ui.widgets.forms import FormField, FormScreen
from coordinator_tui.ui.widgets.tables import RecordTable
from coordinator_tui.validation import format_uk_date, parse_uk_date

if TYPE_CHECKING:
    from coordinator_tui.db import Database

STAGE_KEY_PREFIX = "stage:"
NOTE_MARK = "✎"  # the Note column: the item has a note (shown in full under the table)
WIDE = 110  # from this width on, owner and category fit beside the title

STATUS_WORDS: dict[TransitionStatus, str] = {
    TransitionStatus.TODO: "○ to do",
    TransitionStatus.IN_PROGRESS: "◐ in progress",
    TransitionStatus.DONE: "✔ done",
    TransitionStatus.NOT_APPLICABLE: "– not applicable",
    TransitionStatus.MISSED: "✗ missed",
}
FLAG_STYLES: dict[DueFlag, str] = {
    DueFlag.OVERDUE: "bold",
    DueFlag.DUE: "bold",
    DueFlag.UPCOMING: "",
    DueFlag.DONE: "dim",
    DueFlag.NOT_APPLICABLE: "dim",
    DueFlag.MISSED: "dim",
}
OWNER_SHORT: dict[str, str] = {
    "transition coordinator": "coordinator",
    "family support worker": "family support",
}
FINISHED = (TransitionStatus.DONE, TransitionStatus.NOT_APPLICABLE, TransitionStatus.MISSED)

# The one-key status changes: action parameter -> (status, the message when saved).
QUICK_STATUS: dict[str, tuple[TransitionStatus, str]] = {
    "todo": (TransitionStatus.TODO, "Marked to do"),
    "in_progress": (TransitionStatus.IN_PROGRESS, "Marked in progress"),
    "done": (TransitionStatus.DONE, "Marked done today"),
}


def status_cell(item: TransitionItem) -> str:
    """The status column: to do / in progress, or when it was done, or not applicable."""
    if item.status is TransitionStatus.DONE and item.completed_on is not None:
        return f"✔ {format_uk_date(item.completed_on)}"
    if item.status is TransitionStatus.NOT_APPLICABLE:
        return "– n/a"
    return STATUS_WORDS.get(item.status, str(item.status))


def flag_cell(flag: DueFlag) -> Text:
    return Text(FLAG_LABELS[flag], style=FLAG_STYLES[flag])


def columns(width: int) -> list[tuple[str, int]]:
    """Titles and widths for a list ``width`` cells wide: the title gets what the other columns leave."""
    fixed = [("Due", 10), ("Flag", 10), ("Status", 13)]
    extra = [("Note", 4), ("Owner", 16), ("Category", 18)]  # beyond the right edge of a narrow list
    shown = fixed + (extra if width >= WIDE else [])
    padding = 2 * (len(shown) + 1) + 2  # cell padding and the scroll bar
    item_width = max(24, width - sum(w for _t, w in shown) - padding)
    return [fixed[0], fixed[1], ("Item", item_width), fixed[2], *extra]


def stage_heading(stage: str, rows: Sequence[ChecklistRow]) -> Text:
    """A stage's heading row: the name first (it survives a narrow column), then done and overdue counts."""
    overdue = sum(1 for row in rows if row.flag is DueFlag.OVERDUE)
    done = sum(1 for row in rows if row.flag in (DueFlag.DONE, DueFlag.NOT_APPLICABLE, DueFlag.MISSED))
    text = Text(f"━━ {stage} ━━ ", style="bold")
    if overdue:
        text.append(f"⚠ {overdue} overdue · ", style="bold")
    text.append(f"{done}/{len(rows)} finished")
    return text


def stage_detail(stage: str, rows: Sequence[ChecklistRow]) -> Text:
    text = Text(f"Stage: {stage}", style="bold")
    for flag in DueFlag:
        number = sum(1 for row in rows if row.flag is flag)
        if number:
            text.append(f"\n{number} {FLAG_LABELS[flag]}")
    return text


def owner_short(role: str) -> str:
    """The owner column's short form (the detail under the table has it in full)."""
    return OWNER_SHORT.get(role, role)


def notice_text(checklist: PatientChecklist) -> Text:
    """What to act on before the list: a planned transfer date that has passed; the checklist's closing."""
    text = Text()
    if checklist.transfer_warning:
        text.append(f"⚠ {checklist.transfer_warning}", style="bold")
    if checklist.closed_on is not None:
        if text:
            text.append("\n")
        text.append(f"Checklist closed on {format_uk_date(checklist.closed_on)}: {checklist.closed_reason}")
    return text


def totals_text(checklist: PatientChecklist) -> Text:
    if not checklist.groups:
        return Text("No transition checklist items for this patient yet.")
    counts = checklist.counts
    text = Text(f"{len(checklist.rows)} items: ")
    parts = [(flag, counts.get(flag, 0)) for flag in DueFlag]
    for index, (flag, number) in enumerate(parts):
        if index:
            text.append(" · ")
        text.append(f"{number} {FLAG_LABELS[flag]}", style="bold" if flag is DueFlag.OVERDUE and number else "")
    return text


def detail_text(row: ChecklistRow) -> Text:
    item = row.item
    text = Text()
    text.append(item.title, style="bold")
    text.append("\n")
    text.append(FLAG_LABELS[row.flag], style="bold")
    if item.status is TransitionStatus.DONE and item.completed_on is not None:
        text.append(f" on {format_uk_date(item.completed_on)}", style="bold")
    elif item.status not in FINISHED:
        text.append(f" · {STATUS_WORDS[item.status]}")
    text.append(f" · due {format_uk_date(item.due_date)}")
    text.append(f" · {item.owner_role} · {item.category}")
    if item.status is TransitionStatus.NOT_APPLICABLE:
        text.append(f"\nNot applicable: {item.status_reason}")
    if item.status is TransitionStatus.MISSED:
        text.append(f"\nMissed: {item.status_reason}")
    if item.note:
        text.append("\nNote: ", style="bold")
        text.append(" ".join(item.note.split()))
    else:
        text.append("\nNo note yet (e to add one).")
    return text


class TransitionTable(RecordTable):
    """The checklist rows (key = item id) with a heading row per stage (key ``stage:<n>``)."""

    HELP_TITLE = "Transition checklist"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "edit_note", "Note", show=False)]

    def action_edit_note(self) -> None:
        parent = self.parent
        if isinstance(parent, TransitionList):
            parent.action_edit_note()


class TransitionList(Vertical, RunsUseCases):
    """Totals, the checklist table and the highlighted item. ``items`` and ``checklist`` hold the last load."""

    HELP_TITLE = "Transition checklist"
    DEFAULT_CSS = """
    TransitionList {
        height: 1fr;
    }
    TransitionList #transition-notice {
        display: none;
        height: auto;
        padding: 0 1;
        color: $text-warning;
        background: $warning-muted;
    }
    TransitionList #transition-notice.-shown {
        display: block;
    }
    TransitionList #transition-totals, TransitionList #transition-signoff {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    TransitionList #transition-table {
        height: 1fr;
    }
    TransitionList #transition-detail {
        height: auto;
        max-height: 6;
        padding: 0 1;
        border-top: solid $primary-muted;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "set_status('todo')", "To do"),
        Binding("i", "set_status('in_progress')", "In progress"),
        Binding("d", "set_status('done')", "Done"),
        Binding("D", "done_on", "Done on a date…", show=False, key_display="shift+d"),
        Binding("n", "not_applicable", "N/A…", tooltip="Not applicable (asks for the reason)"),
        Binding("e", "edit_note", "Note…"),
    ]

    def __init__(self, patient_id: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.patient_id = patient_id
        self.checklist: PatientChecklist | None = None
        self.items: Sequence[TransitionItem] = []
        self.loaded = False
        self._rows: dict[str, ChecklistRow] = {}
        self._columns_for = 0
        self._select_after_load: str | None = None
        self._rules: MilestoneRulesForSaving | None = None  # read for the first save, kept for the next ones
        self._stage_into_view = True  # until the current stage's heading has been brought into view once

    @property
    def help_note(self) -> str:
        """What the help (F1) says about this list beyond its keys: the rules' clinical sign-off."""
        return self.checklist.sign_off if self.checklist is not None else ""

    def compose(self) -> ComposeResult:
        yield Static("", id="transition-notice")
        yield Static("Loading the checklist…", id="transition-totals")
        yield Static("", id="transition-signoff")
        yield TransitionTable(id="transition-table")
        yield Static("", id="transition-detail")

    def on_mount(self) -> None:
        self._set_columns(self.app.size.width)
        self.reload()

    # ---------------------------------------------------------------------------------------------------------
    # Loading and showing
    # ---------------------------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the checklist again (off the UI thread); a newer reload cancels this one."""
        patient_id = self.patient_id
        self.run_use_case(
            lambda database: patient_checklist(database, patient_id, zone=self.coordinator.zone),
            self.show_checklist,
            failed="Could not load the checklist",
            group="transition-list",
            exclusive=True,
        )

    def select_item(self, item_id: int) -> None:
        """Put the cursor on an item (now if it is shown, else after the next load)."""
        key = str(item_id)
        if key in self._rows:
            self.query_one(TransitionTable).move_to_key(key)
        else:
            self._select_after_load = key

    def show_checklist(self, checklist: PatientChecklist) -> None:
        self.checklist = checklist
        self.items = [row.item for row in checklist.rows]
        self._rows = {str(row.item.id): row for row in checklist.rows}
        self._fill_table()
        notice = notice_text(checklist)
        self.query_one("#transition-notice", Static).update(notice)
        self.query_one("#transition-notice", Static).set_class(bool(notice), "-shown")
        self.query_one("#transition-totals", Static).update(totals_text(checklist))
        self.query_one("#transition-signoff", Static).update(checklist.sign_off)
        self.loaded = True

    def _fill_table(self) -> None:
        table = self.query_one(TransitionTable)
        keep = self._select_after_load or table.selected_key
        self._select_after_load = None
        table.clear()
        if self.checklist is None:
            return
        for index, group in enumerate(self.checklist.groups):
            heading = stage_heading(group.stage, group.rows)
            table.add_row("", "", heading, "", "", "", "", key=f"{STAGE_KEY_PREFIX}{index}")
            for row in group.rows:
                item = row.item
                table.add_row(
                    format_uk_date(item.due_date),
                    flag_cell(row.flag),
                    Text(item.title),  # Text: typed text is never read as markup
                    status_cell(item),
                    NOTE_MARK if item.note.strip() else "",
                    owner_short(item.owner_role),
                    item.category,
                    key=str(item.id),
                )
        if not (keep and table.move_to_key(keep)):  # the row shown before the reload, else the first to look at
            first = self._first_to_look_at()
            if first is not None:
                table.move_to_key(first)
            if self._stage_into_view:
                self.call_after_refresh(self._bring_stage_into_view)
        self._show_detail(table.selected_key)
        if table.has_focus:  # the footer shows its keys (each refresh rebuilds the footer: not for a hidden tab)
            table.refresh_bindings()

    def _first_to_look_at(self) -> str | None:
        """The open item due first (overdue before due before upcoming), else the first item."""
        if self.checklist is None:
            return None
        first = self.checklist.first_open
        if first is not None:
            return str(first.item.id)
        rows = self.checklist.rows
        return str(rows[0].item.id) if rows else None

    def _bring_stage_into_view(self) -> None:
        """Scroll the current stage's heading to the top of the list when the cursor stays in view; waits for the
        tab to show (a hidden list has no height)."""
        table = self.query_one(TransitionTable)
        rows_shown = table.scrollable_content_region.height - table.header_height
        checklist = self.checklist
        if checklist is None or rows_shown < 2:
            return
        self._stage_into_view = False
        stage = checklist.current_stage
        index = next((i for i, group in enumerate(checklist.groups) if group.stage == stage), None)
        if index is None:
            return
        heading = table.get_row_index(f"{STAGE_KEY_PREFIX}{index}")
        if 0 <= table.cursor_row - heading < rows_shown:
            table.scroll_to(y=heading, animate=False, immediate=True)

    def on_show(self, event: Show) -> None:
        if self._stage_into_view and self.loaded:
            self.call_after_refresh(self._bring_stage_into_view)

    def _show_detail(self, key: str | None) -> None:
        row = self._rows.get(key) if key else None
        detail = self.query_one("#transition-detail", Static)
        if row is None and key and key.startswith(STAGE_KEY_PREFIX) and self.checklist is not None:
            group = self.checklist.groups[int(key.removeprefix(STAGE_KEY_PREFIX))]
            detail.update(stage_detail(group.stage, group.rows))
            return
        if row is None:
            detail.update("Choose an item (↑ ↓) to see it in full." if self._rows else "")
            return
        detail.update(detail_text(row))

    def _set_columns(self, width: int) -> None:
        table = self.query_one(TransitionTable)
        table.clear(columns=True)
        self._columns_for = width
        for title, size in columns(width):
            table.add_column(title, key=title, width=size)

    def on_resize(self, event: Resize) -> None:
        width = self.app.size.width
        if width != self._columns_for:
            self._set_columns(width)
            self._fill_table()

    @on(DataTable.RowHighlighted, "#transition-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.row_key.value)
        if event.control.has_focus:
            event.control.refresh_bindings()

    # ---------------------------------------------------------------------------------------------------------
    # Actions
    # ---------------------------------------------------------------------------------------------------------

    @property
    def selected_row(self) -> ChecklistRow | None:
        key = self.query_one(TransitionTable).selected_key
        return self._rows.get(key) if key else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim a key that would change nothing on the highlighted row (a stage heading: every key)."""
        if action not in {"set_status", "done_on", "not_applicable", "edit_note"}:
            return True
        if not self.is_mounted:
            return None
        row = self.selected_row
        if row is None:
            return None
        if action == "set_status" and parameters:
            wanted = QUICK_STATUS.get(str(parameters[0]))
            if wanted is not None and wanted[0] is row.item.status:
                return None
        return True

    def _chosen(self) -> ChecklistRow | None:
        row = self.selected_row
        if row is None:
            self.notify("Choose an item first (↑ ↓), not a stage heading.", severity="warning")
        return row

    def action_set_status(self, which: str) -> None:
        row = self._chosen()
        if row is None or which not in QUICK_STATUS:
            return
        item = row.item
        status, message = QUICK_STATUS[which]
        if status is item.status:
            return
        item_id, version = item.id, item.version
        assert item_id is not None

        rules = self._rules

        def save(database: Database) -> SavedItem:
            return set_item_status(database, item_id, status, expected_version=version, rules=rules)

        if item.status in FINISHED and status not in FINISHED:
            cleared = (
                f"Its completion date ({format_uk_date(item.completed_on)}) will be cleared."
                if item.status is TransitionStatus.DONE
                else f"Its reason for not applying ({item.status_reason}) will be cleared."
                if item.status is TransitionStatus.NOT_APPLICABLE
                else f"Why it was missed ({item.status_reason}) will be cleared."
            )

            def answered(yes: bool | None) -> None:
                if yes:
                    self._save(save, f"{message}: {item.title}")

            self.app.push_screen(
                ConfirmScreen(
                    f"Reopen “{item.title}” as {STATUS_WORDS[status][2:]}?",
                    f"{cleared} The change is kept in the audit log.",
                    yes_label="Reopen",
                    no_label="Keep",
                ),
                answered,
            )
            return
        self._save(save, f"{message}: {item.title}")

    def action_done_on(self) -> None:
        row = self._chosen()
        if row is None:
            return
        item = row.item
        item_id, version = item.id, item.version
        assert item_id is not None
        rules = self._rules

        def save(database: Database, values: dict[str, Any]) -> SavedItem:
            day = parse_uk_date(values.get("completed_on", ""), "completed_on", allow_future=False)
            return set_item_status(
                database,
                item_id,
                TransitionStatus.DONE,
                expected_version=version,
                completed_on=day,
                rules=rules,
            )

        current = item.completed_on or clock.today()
        fields = [FormField("completed_on", "Done on", format_uk_date(current), required=True, max_length=limits.DATE)]
        self._form(f"Done: {item.title}", fields, save, "Done", "The date it was done, as DD/MM/YYYY.")

    def action_not_applicable(self) -> None:
        row = self._chosen()
        if row is None:
            return
        item = row.item
        item_id, version = item.id, item.version
        assert item_id is not None
        rules = self._rules

        def save(database: Database, values: dict[str, Any]) -> SavedItem:
            return set_item_status(
                database,
                item_id,
                TransitionStatus.NOT_APPLICABLE,
                expected_version=version,
                reason=values.get("reason", ""),
                rules=rules,
            )

        fields = [
            FormField(
                "reason",
                "Reason",
                item.status_reason,
                required=True,
                placeholder="why this step does not apply to this young person",
                max_length=column_limit(TransitionItem, "status_reason"),
            )
        ]
        self._form(
            f"Not applicable: {item.title}",
            fields,
            save,
            "Marked not applicable",
            "Say why this step does not apply (kept with the item and in the audit log).",
        )

    def action_edit_note(self) -> None:
        row = self._chosen()
        if row is None:
            return
        item = row.item
        item_id, version = item.id, item.version
        assert item_id is not None

        def save(database: Database, values: dict[str, Any]) -> SavedItem:
            item = set_item_note(database, item_id, values.get("note", ""), expected_version=version)
            return SavedItem(item, None)

        fields = [column_field(TransitionItem, "note", "Note", item.note, kind="multiline")]
        self._form(
            f"Note: {item.title}",
            fields,
            save,
            "Note saved",
            "Evidence, who was involved, what is next. Ctrl+S saves (Enter starts a new line).",
        )

    # ---------------------------------------------------------------------------------------------------------
    # Saving (off the UI thread)
    # ---------------------------------------------------------------------------------------------------------

    def _saved(self, saved: SavedItem) -> None:
        """Keep the milestone rules read for this save; say when the dates that follow could not be updated."""
        if saved.rules is None:
            return
        if saved.rules.rules is not None:
            self._rules = saved.rules
        if saved.rules.problem:
            self.notify(
                f"Dates that follow from this item were not updated: {saved.rules.problem}",
                title="Milestone rules file",
                severity="warning",
            )

    def _form(
        self,
        title: str,
        fields: list[FormField],
        save: Callable[[Database, dict[str, Any]], SavedItem],
        message: str,
        description: str,
    ) -> None:
        def closed(result: SavedItem | None) -> None:
            if result is not None:
                self._saved(result)
                self.notify(f"{message}: {result.item.title}", title="Saved")
            self.reload()

        form: FormScreen[SavedItem] = FormScreen(title, fields, save, description=description)
        self.app.push_screen(form, closed)

    def _save(self, save: Callable[[Database], SavedItem], message: str) -> None:
        """Run ``save`` off the UI thread; a refused save (stale version, busy database…) is shown; the list
        reloads either way."""

        def done(saved: SavedItem) -> None:
            self._saved(saved)
            self.notify(message, title="Saved")
            self.reload()

        self.run_use_case(save, done, on_error=lambda _text: self.reload(), group="transition-save")
