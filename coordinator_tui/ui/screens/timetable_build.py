"""Build (or repair) one combined clinic's timetable: time limit, progress, summary, review of changes, apply.

``TimetableBuildScreen(clinic_id, repair=False)`` is a modal screen; its result is True when a timetable was
written (the caller reloads the clinic) and False when it was discarded. It runs the three steps of
``services/clinics/timetable_build`` (the command line's ``schedule`` runs the same ones):

1. **Time limit**: seconds the solver may use (default 10). Enter in the field, or b, starts the build.
2. **Build** runs as a use case in a worker (the screen never freezes): the clinic is read without the write lock,
   then CP-SAT solves it with no transaction open, so other coordinators never wait for the solver. A progress
   bar follows the elapsed time against the limit, and the line beside it counts the solutions found with the
   latest objective (``SolutionFound``).
3. **Summary**: scheduled / unscheduled (with the reasons), total waiting, solver status (optimal / feasible) and
   gap, then the **changes** in a table: ``→ moved`` (before → after), ``+ new``, ``✗ cancelled`` (an existing
   appointment the plan could not keep) and ``– not placed``.
4. **a** applies (one short write, refused when the clinic changed meanwhile) then closes; **d** or Escape
   discards (nothing written; asks first when there is a result to lose).
5. When the review says nobody of a discipline is in clinic ("no endocrinology professional is in clinic", "… is not
   in clinic on any day"), **s** opens the clinic's staffing (``clinic_staffing``) on the first day nobody covers
   that discipline; coming back after a change, the plan built on the old staffing is set aside: build again.

Repair mode (``repair=True``) keeps the existing timetable and moves as few appointments as possible.
Every state is shown in words and symbols, never by colour alone; database and validation errors are one line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, ProgressBar, Static

from coordinator_tui.services.clinics import scheduling as sch
from coordinator_tui.services.clinics import timetable_build as build
from coordinator_tui.services.clinics.timetable_build import APPLICABLE, Change, ClinicOverview
from coordinator_tui.services.clinics.timetable_plan import ChangeKind, TimetablePlan
from coordinator_tui.ui.background import RunsUseCases
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.data_table import DataTable

STATUS_MARK = {"optimal": "✓ optimal", "feasible": "~ feasible"}
NOBODY_OF = re.compile(r"no (.+?) professional is in clinic")
NOT_IN_CLINIC = re.compile(r"\(([^()]+)\) is not in clinic on any day|is not in clinic then")


def staffing_gap(texts: Iterable[str]) -> str | None:
    """The discipline a review's reasons say nobody covers ("" when a reason is about staffing but names no
    discipline), or None when no reason is about who is in clinic."""
    found: str | None = None
    for text in texts:
        if match := NOBODY_OF.search(text):
            return match.group(1)
        if match := NOT_IN_CLINIC.search(text):
            found = match.group(1) or found or ""
    return found


class SolutionFound(Message, bubble=False):
    """The solver found a better timetable (posted from the solver's thread) during build ``number``."""

    def __init__(self, number: int, objective: float, seconds: float) -> None:
        super().__init__()
        self.number = number
        self.objective = objective
        self.seconds = seconds


class SecondsInput(Input):
    """A number-of-seconds field: it takes digits and a decimal point only, so letters stay the screen's keys."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and (character.isdigit() or character in ".,")


class TimetableBuildScreen(ModalScreen[bool], RunsUseCases):
    """Build or repair one clinic's timetable, review the plan, then apply it or discard it."""

    CSS_PATH = "timetable_build.tcss"

    #: ready -> building -> built -> applying (-> dismissed); a failed build goes back to ready. It decides which
    #: keys are live.
    state: reactive[str] = reactive("ready", bindings=True)

    BINDINGS: ClassVar[list[BindingType]] = [
        # The time-limit field only takes digits (SecondsInput), so these letters reach the screen from it too.
        Binding("b", "build", "Build", priority=True),
        Binding("a", "apply", "Apply", priority=True),
        Binding("d", "discard", "Discard", priority=True),
        Binding("s", "staffing", "Staffing", priority=True, tooltip="Who is in clinic each day, their hours and room"),
        Binding("escape", "discard", "Discard", key_display="Esc", show=False),
    ]

    def __init__(self, clinic_id: int, *, repair: bool = False, time_limit: float = build.DEFAULT_TIME_LIMIT) -> None:
        super().__init__()
        self.clinic_id = clinic_id
        self.repair = repair
        self.time_limit = time_limit
        self.overview: ClinicOverview | None = None
        self.instance: sch.Instance | None = None
        self.result: sch.ScheduleResult | None = None
        self.plan: TimetablePlan | None = None
        self.changes: list[Change] = []
        self.solutions = 0
        self.latest_objective: float | None = None
        self._started = 0.0
        self._build_limit = time_limit
        self._build_number = 0  # results of a build the user walked away from are ignored
        self._ticker: Timer | None = None
        self._dismissed = False
        #: What the review says nobody covers (a discipline, "" for a staffing reason naming none), else None.
        self.staffing_gap: str | None = None

    @property
    def verb(self) -> str:
        return "Repair" if self.repair else "Build"

    # -- layout -------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="build-dialog") as dialog:
            dialog.border_title = f"{self.verb} timetable"
            yield Static("Loading the clinic…", id="build-overview")
            with Horizontal(id="build-limit-row"):
                yield Label("Time limit (seconds)", id="build-limit-label")
                yield SecondsInput(
                    f"{self.time_limit:g}", id="build-time-limit", restrict=r"[0-9.,]*", max_length=5, compact=True
                )
                yield Static("nothing is written until you apply", id="build-limit-hint")
            with Horizontal(id="build-progress-row"):
                yield ProgressBar(total=100, show_eta=False, id="build-progress")
                yield Static("Not started", id="build-progress-text")
            yield Static("", id="build-message")
            with VerticalScroll(id="build-summary-box"):
                yield Static(self._ready_text(), id="build-summary")
            yield Static("Changes: build first", id="build-changes-title")
            yield DataTable(id="build-changes", cursor_type="row", zebra_stripes=True)
            yield Static("", id="build-detail")
            yield Static("", id="build-keys")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#build-changes", DataTable)
        for label in ("Change", "Family", "Discipline", "Before", "After"):
            table.add_column(label, key=label.lower())
        self.query_one("#build-time-limit", Input).focus()
        self._show_keys()
        self._load_overview()

    def _ready_text(self) -> str:
        if self.repair:
            return (
                "Repair keeps the current timetable: it moves only the appointments that break a rule now (a "
                "professional's day cancelled, a later arrival, a clash booked by hand, no lunch break, too little "
                "time to walk between buildings…), says which rule, and places new needs around the rest."
            )
        return "Build places every needed appointment of the invited families, keeping pinned appointments."

    def _show_keys(self) -> None:
        keys = {
            "ready": "Enter or b: build · d or Esc: close",
            "building": f"{self.verb}ing… · Esc: stop waiting (nothing is written)",
            "built": "a: apply this timetable · b: build again · d or Esc: discard",
            "applying": "Writing the timetable…",
        }[self.state]
        if self.state == "built" and not self.can_apply:
            keys = "Nothing to apply · b: build again (try a longer time limit) · d or Esc: close"
        if self.state in ("ready", "built") and self.staffing_gap is not None:
            who = f"no {self.staffing_gap} professional" if self.staffing_gap else "someone"
            keys += f" · s: staffing ({who} in clinic)"
        self.query_one("#build-keys", Static).update(keys)

    # -- overview -----------------------------------------------------------------------------------------

    def _load_overview(self) -> None:
        use_case = partial(build.timetable_overview, clinic_id=self.clinic_id)
        self.run_use_case(use_case, self._show_overview, failed="Could not load the clinic", on_error=self._show_error)

    def _show_overview(self, overview: ClinicOverview) -> None:
        if self._dismissed:
            return
        self.overview = overview
        self.query_one("#build-dialog").border_title = f"{self.verb} timetable · {overview.name}"
        self.query_one("#build-overview", Static).update(
            f"{overview.families} famil{'y' if overview.families == 1 else 'ies'} invited · "
            f"{overview.requests} appointment{'s' if overview.requests != 1 else ''} needed, "
            f"{overview.booked} already booked ({overview.pinned} pinned: they stay where they are)"
            + (
                " · Build re-plans the booked ones too; Repair (R on the clinic day) moves as few as possible"
                if overview.booked > overview.pinned and not self.repair
                else ""
            )
        )

    # -- messages -----------------------------------------------------------------------------------------

    @property
    def message(self) -> str:
        box = self.query_one("#build-message", Static)
        return str(box.content) if box.has_class("-shown") else ""

    def _show_error(self, text: str) -> None:
        box = self.query_one("#build-message", Static)
        box.update(f"⚠ {text}" if text else "")
        box.set_class(bool(text), "-shown")

    # -- building -----------------------------------------------------------------------------------------

    @property
    def can_apply(self) -> bool:
        return (
            self.state == "built"
            and self.result is not None
            and self.instance is not None
            and bool(self.instance.requests)
            and self.result.status in APPLICABLE
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that cannot be used now are shown dimmed (None)."""
        if action == "build":
            return True if self.state in ("ready", "built") else None
        if action == "apply":
            return True if self.can_apply else None
        if action == "discard":
            return True if self.state != "applying" else None
        if action == "staffing":
            return (True if self.state in ("ready", "built") else None) if self.staffing_gap is not None else False
        return True

    @on(Input.Submitted, "#build-time-limit")
    def _limit_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_build()

    def action_build(self) -> None:
        if self.state not in ("ready", "built"):
            return
        try:
            limit = build.parse_time_limit(self.query_one("#build-time-limit", Input).value)
        except ValueError as exc:
            self._show_error(str(exc))
            self.query_one("#build-time-limit", Input).focus()
            return
        self._show_error("")
        self.time_limit = limit
        self._build_limit = limit
        self.state = "building"
        self.result = self.instance = self.plan = None
        self.changes = []
        self.solutions = 0
        self.latest_objective = None
        self._build_number += 1
        self._started = time.monotonic()
        self.query_one("#build-progress", ProgressBar).update(total=limit, progress=0)
        self.query_one("#build-summary", Static).update(f"{self.verb}ing the timetable (at most {limit:g} s)…")
        self.query_one("#build-changes-title", Static).update("Changes: waiting for the solver")
        self.query_one("#build-changes", DataTable).clear()
        self._show_change(None)
        self._tick()
        self._ticker = self.set_interval(0.25, self._tick)
        self._show_keys()
        self._run_build(self._build_number, limit)

    def _run_build(self, number: int, limit: float) -> None:
        """Load and solve in a worker: the clinic is read without the write lock, the solver runs with no
        transaction open; each better solution found is posted back as ``SolutionFound``."""

        def on_solution(objective: float, seconds: float) -> None:
            self.post_message(SolutionFound(number, objective, seconds))

        use_case = partial(
            build.build_for_review,
            clinic_id=self.clinic_id,
            time_limit=limit,
            repair=self.repair,
            on_solution=on_solution,
        )
        self.run_use_case(
            use_case,
            partial(self._build_done, number),
            failed="Could not build the timetable",
            on_error=partial(self._build_failed, number),
            group="timetable-build",
        )

    def _tick(self) -> None:
        if self.state != "building":
            return
        elapsed = time.monotonic() - self._started
        self.query_one("#build-progress", ProgressBar).update(progress=min(elapsed, self._build_limit))
        found = (
            f"{self.solutions} solution{'s' if self.solutions != 1 else ''} found, latest objective "
            f"{self.latest_objective:.0f}"
            if self.solutions and self.latest_objective is not None
            else "no solution yet"
        )
        self.query_one("#build-progress-text", Static).update(
            f"⏳ Solving… {elapsed:.0f} s of {self._build_limit:g} s · {found}"
        )

    @on(SolutionFound)
    def _solution_found(self, event: SolutionFound) -> None:
        if event.number != self._build_number or self.state != "building":
            return
        self.solutions += 1
        self.latest_objective = event.objective
        self._tick()

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _build_failed(self, number: int, text: str) -> None:
        if number != self._build_number:
            return
        self._stop_ticker()
        self.state = "ready"
        self.query_one("#build-progress-text", Static).update("✗ Not built")
        self.query_one("#build-summary", Static).update(self._ready_text())
        self._show_error(f"Could not build the timetable: {text}")
        self._show_keys()

    def _build_done(self, number: int, built: build.BuiltTimetable) -> None:
        if number != self._build_number:
            return
        self._stop_ticker()
        instance, result, review = built.instance, built.result, built.review
        self.instance, self.result = instance, result
        self.state = "built"
        progress = self.query_one("#build-progress", ProgressBar)
        progress.update(progress=progress.total or 0)
        summary = self.query_one("#build-summary", Static)
        title = self.query_one("#build-changes-title", Static)
        table = self.query_one("#build-changes", DataTable)
        table.clear()
        if result is None or review is None:
            self.query_one("#build-progress-text", Static).update("✓ Done: nothing to schedule")
            summary.update(
                "No invited patients with needed appointments: nothing to schedule. "
                "Invite families (Who's coming) and set their needs first."
            )
            title.update("Changes: none")
            self._show_keys()
            return
        status = STATUS_MARK.get(result.status, f"✗ {result.status}")
        gap = f", {result.gap_text()}" if result.gap_text() else ""
        self.query_one("#build-progress-text", Static).update(f"Solver: {status}{gap} · {result.wall_time:.1f} s")
        self.plan, self.changes = review.plan, review.changes
        lines: list[str] = review.lines
        self.staffing_gap = staffing_gap([*lines, *(c.reason for c in self.changes), result.message or ""])
        self.refresh_bindings()
        summary.update(Text("\n".join(lines)))
        for change in self.changes:
            table.add_row(
                Text(change.kind),
                Text(change.family),
                Text(change.discipline),
                Text(change.before),
                Text(change.after),
            )
        if self.plan is not None:
            title.update(f"Changes if applied ({len(self.changes)}): {self.plan.counts_text()}")
            table.focus()
        else:
            title.update("Changes: none (no timetable was found)")
            self._show_error(result.message or f"No timetable found (solver status {result.status}).")
        self._show_keys()

    @on(DataTable.RowHighlighted, "#build-changes")
    def _change_highlighted(self, event: DataTable.RowHighlighted) -> None:
        row = event.cursor_row
        self._show_change(self.changes[row] if 0 <= row < len(self.changes) else None)

    def _show_change(self, change: Change | None) -> None:
        """The highlighted change in full (the table's After column can be cut on a narrow terminal)."""
        text = ""
        if change is not None:
            text = f"{change.kind} · {change.family}, {change.discipline}: {change.before} → {change.after}"
            text += f"\nWhy: {change.reason}" if change.reason else ""
        self.query_one("#build-detail", Static).update(Text(text))

    # -- apply / discard ----------------------------------------------------------------------------------

    def action_apply(self) -> None:
        if not self.can_apply:
            return
        cancelled = self.plan.count(ChangeKind.CANCELLED) if self.plan is not None else 0
        if cancelled:

            def answered(confirmed: bool | None) -> None:
                if confirmed:
                    self._apply()

            self.app.push_screen(
                ConfirmScreen(
                    f"Apply, cancelling {cancelled} existing appointment{'s' if cancelled != 1 else ''}?",
                    "The plan could not keep them (the review lists them as ✗ cancelled, with the reason).",
                    yes_label="Apply",
                    no_label="Keep reviewing",
                ),
                answered,
            )
            return
        self._apply()

    def _apply(self) -> None:
        if not self.can_apply:
            return
        instance, result = self.instance, self.result
        assert instance is not None and result is not None
        self.state = "applying"
        self._show_keys()
        use_case = partial(build.apply_timetable, clinic_id=self.clinic_id, instance=instance, result=result)
        self.run_use_case(use_case, self._applied, failed="Not applied", on_error=self._apply_failed)

    def _applied(self, applied: TimetablePlan) -> None:
        self.notify(f"{applied.counts_text()}.", title="✓ Timetable applied")
        self._close(True)

    def _apply_failed(self, text: str) -> None:
        self.state = "built"
        self._show_error(f"Not applied: {text}")
        self._show_keys()

    def action_discard(self) -> None:
        if self.state == "applying":
            return
        if self.state == "built" and self.can_apply:

            def answered(confirmed: bool | None) -> None:
                if confirmed:
                    self.notify("Nothing was written; the clinic keeps its timetable.", title="Plan discarded")
                    self._close(False)

            self.app.push_screen(
                ConfirmScreen(
                    f"Discard this {'repair' if self.repair else 'timetable'}?",
                    "Nothing has been written: the clinic keeps its current timetable.",
                    yes_label="Discard",
                    no_label="Keep reviewing",
                ),
                answered,
            )
            return
        self._close(False)

    def action_staffing(self) -> None:
        """The clinic's staffing, on the first day nobody covers the discipline the review named."""
        if self.staffing_gap is None or self.state not in ("ready", "built"):
            return
        from coordinator_tui.ui.screens.clinic_staffing import StaffingScreen

        staffing = StaffingScreen(self.clinic_id, discipline=self.staffing_gap or None)
        self.app.push_screen(staffing, lambda _result: self._staffing_closed(staffing.changed))

    def _staffing_closed(self, changed: bool) -> None:
        """Back from the staffing: a plan built on the old staffing is set aside (build again)."""
        if not changed or self._dismissed:
            return
        self._build_number += 1
        self.state = "ready"
        self.result = self.instance = self.plan = None
        self.changes = []
        self.staffing_gap = None
        self.query_one("#build-changes", DataTable).clear()
        self.query_one("#build-changes-title", Static).update("Changes: build first")
        self.query_one("#build-progress", ProgressBar).update(progress=0)
        self.query_one("#build-progress-text", Static).update("Not started")
        self.query_one("#build-summary", Static).update("The staffing changed: b builds the timetable again.")
        self._show_change(None)
        self._show_error("")
        self._show_keys()
        self.refresh_bindings()
        self._load_overview()

    def _close(self, applied: bool) -> None:
        self._dismissed = True
        self._build_number += 1  # a build still running is ignored when it ends
        self._stop_ticker()
        self.dismiss(applied)


def open_timetable_build(screen: Screen[Any], clinic_id: int, *, repair: bool = False) -> None:
    """Push the build screen for ``clinic_id`` from ``screen``; its ``reload()`` runs when a plan is applied."""

    def done(applied: bool | None) -> None:
        reload = getattr(screen, "reload", None)
        if applied and reload is not None:
            reload()

    screen.app.push_screen(TimetableBuildScreen(clinic_id, repair=repair), done)
