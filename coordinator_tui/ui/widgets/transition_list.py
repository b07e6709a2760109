"""One patient's transition checklist, read from the database in due-date order (the patient record's tab).

Built to be extended: ``TransitionList(patient_id)`` loads its own items in a worker thread (``reload()``), keeps
them in ``items`` and shows them in ``#transition-table`` (row key = item id); a subclass or later version adds
status keys (BINDINGS + actions calling the transition service, then ``reload()``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static
from textual.worker import get_current_worker

from coordinator_tui import clock
from coordinator_tui.db import DatabaseError
from coordinator_tui.models import TransitionItem, TransitionStatus
from coordinator_tui.services.transition_views import items_for_patient
from coordinator_tui.ui.widgets.tables import RecordTable
from coordinator_tui.validation import format_uk_date

STATUS_TEXT = {
    TransitionStatus.TODO: "○ to do",
    TransitionStatus.IN_PROGRESS: "◐ in progress",
    TransitionStatus.DONE: "✓ done",
    TransitionStatus.NOT_APPLICABLE: "– not applicable",
}
OPEN = (TransitionStatus.TODO, TransitionStatus.IN_PROGRESS)


def status_text(item: TransitionItem, today: dt.date) -> str:
    text = STATUS_TEXT.get(item.status, str(item.status))
    if item.status in OPEN and item.due_date < today:
        return f"⚠ overdue ({text[2:]})"
    return text


class TransitionTable(RecordTable):
    HELP_TITLE = "Transition checklist"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Details", show=False)]


class TransitionList(Vertical):
    """The checklist table and a line of totals. ``items`` holds what was loaded last."""

    DEFAULT_CSS = """
    TransitionList {
        height: 1fr;
    }
    TransitionList #transition-totals {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    TransitionList #transition-table {
        height: 1fr;
    }
    """

    def __init__(self, patient_id: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.patient_id = patient_id
        self.items: Sequence[TransitionItem] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static("Loading the checklist…", id="transition-totals")
        yield TransitionTable(id="transition-table")

    def on_mount(self) -> None:
        table = self.query_one("#transition-table", TransitionTable)
        for title, width in (("Due", 10), ("Status", 20), ("Item", 40), ("Category", 14), ("Owner", 14)):
            table.add_column(title, key=title, width=width)
        table.add_column("Stage", key="Stage")
        self.reload()

    @work(thread=True, exclusive=True, group="transition-list", exit_on_error=False)
    def reload(self) -> None:
        worker = get_current_worker()
        try:
            with self.app.database.session() as session:  # type: ignore[attr-defined]
                items = list(items_for_patient(session, self.patient_id))
        except DatabaseError as exc:
            self.app.call_from_thread(self.notify, str(exc), title="Could not load the checklist", severity="error")
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show_items, items)

    def show_items(self, items: Sequence[TransitionItem]) -> None:
        self.items = items
        today = clock.today()
        table = self.query_one("#transition-table", TransitionTable)
        keep = table.selected_key
        table.clear()
        for item in items:
            table.add_row(
                format_uk_date(item.due_date),
                status_text(item, today),
                item.title,
                item.category,
                item.owner_role,
                item.stage,
                key=str(item.id),
            )
        if keep:
            table.move_to_key(keep)
        open_items = [i for i in items if i.status in OPEN]
        overdue = [i for i in open_items if i.due_date < today]
        totals = (
            f"{len(items)} items · {len(open_items)} open · {len(overdue)} overdue (⚠)"
            if items
            else "No transition checklist items for this patient yet."
        )
        self.query_one("#transition-totals", Static).update(totals)
        self.loaded = True
