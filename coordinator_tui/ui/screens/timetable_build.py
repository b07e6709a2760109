"""Build (or repair) one combined clinic's timetable: time limit, progress, summary, review of changes, apply.

``TimetableBuildScreen(clinic_id, repair=False)`` is a modal screen; its result is True when a timetable was
written (the caller reloads the clinic) and False when it was discarded. The flow is the issue 6 one:

1. **Time limit**: seconds the solver may use (default 10). Enter in the field, or b, starts the build.
2. **Build** runs in a thread worker (the screen never freezes): ``clinic_planning.build_timetable`` reads the
   clinic in a read session (no write lock), then CP-SAT solves it *outside* any session, so other coordinators
   never wait for the solver. A progress bar follows the elapsed time against the limit, and the line beside it
   counts the solutions found with the latest objective (``on_solution``).
3. **Summary**: scheduled / unscheduled (with the reasons), total waiting, solver status (optimal / feasible) and
   gap (``ScheduleResult.summary_lines``), then the **changes** in a table: ``→ moved`` (before → after),
   ``+ new``, ``✗ cancelled`` (an existing appointment the plan could not keep) and ``– not placed``.
4. **a** applies (``apply_solution`` in a worker, one short write session) then closes; **d** or Escape discards
   (nothing written; asks first when there is a result to lose).

Repair mode (``repair=True``) keeps the existing timetable and moves as few appointments as possible.
Every state is shown in words and symbols, never by colour alone; database and validation errors are one line.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState

from coordinator_tui.models import ClinicEvent
from coordinator_tui.services.clinics import clinic_planning, timetable_plan
from coordinator_tui.services.clinics import scheduling as sch
from coordinator_tui.services.clinics.timetable_plan import CHANGE_ORDER, ChangeKind, TimetablePlan
from coordinator_tui.ui.errors import USER_ERRORS, error_text
from coordinator_tui.ui.widgets.confirm import ConfirmScreen

DEFAULT_TIME_LIMIT = 10.0
APPLICABLE = ("optimal", "feasible")

STATUS_MARK = {"optimal": "✓ optimal", "feasible": "~ feasible"}

# How the review marks each kind of change (words and symbols, never colour alone).
MOVED = "→ moved"
CANCELLED = "✗ cancelled"
NEW = "+ new"
NOT_PLACED = "– not placed"
KEPT = "= kept as booked"
MARK = {
    ChangeKind.MOVED: MOVED,
    ChangeKind.CANCELLED: CANCELLED,
    ChangeKind.NEW: NEW,
    ChangeKind.NOT_PLACED: NOT_PLACED,
    ChangeKind.KEPT_OUTSIDE: KEPT,
}


@dataclass(frozen=True)
class Change:
    """One line of the review: what happens to one appointment if the plan is applied, and why."""

    kind: str
    family: str
    discipline: str
    before: str
    after: str
    reason: str


@dataclass(frozen=True)
class ClinicOverview:
    """What the screen shows before building: the clinic and how much there is to place."""

    name: str
    families: int
    requests: int
    booked: int
    pinned: int


def parse_time_limit(text: str) -> float:
    """Seconds from the field; ValueError with a message the screen shows when it is not usable."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise ValueError("Time limit: enter a number of seconds, e.g. 10") from None
    try:
        return sch.valid_time_limit(value)
    except ValueError as exc:
        raise ValueError(f"Time limit: {exc}") from None


def _slot(instance: sch.Instance, day: int, start: int, end: int | None = None) -> str:
    text = f"{instance.day_label(day)} {sch.hhmm(start)}"
    return f"{text}–{sch.hhmm(end)}" if end is not None else text


def _where(instance: sch.Instance, item: sch.ScheduledItem) -> str:
    who = ", ".join(instance.professionals[p].name for p in item.professional_ids if p in instance.professionals)
    room = instance.rooms[item.room_id].name if item.room_id in instance.rooms else ""
    return " · ".join(part for part in (_slot(instance, item.day, item.start, item.end), who, room) if part)


def review_rows(instance: sch.Instance, plan: TimetablePlan) -> list[Change]:
    """The review's rows: every change the plan makes (unchanged appointments are not listed), in the plan's order
    of kinds, then family and time."""
    order = {kind: n for n, kind in enumerate(CHANGE_ORDER)}
    rows: list[tuple[tuple[int, str, int, int], Change]] = []
    for change in plan.changes:
        if change.kind not in MARK:
            continue
        family = timetable_plan.family_name(instance, change.patient_id)
        before = _slot(instance, change.before.day, change.before.start) if change.before else "not booked"
        if change.kind in (ChangeKind.MOVED, ChangeKind.NEW) and change.after is not None:
            after = _where(instance, change.after)
        else:
            after = change.kind.value
        when = (change.after.day, change.after.start) if change.after is not None else (99, 0)
        rows.append(
            (
                (order[change.kind], family, *when),
                Change(MARK[change.kind], family, change.discipline, before, after, change.reason),
            )
        )
    return [row for _key, row in sorted(rows, key=lambda pair: pair[0])]


class SecondsInput(Input):
    """A number-of-seconds field: it takes digits and a decimal point only, so letters stay the screen's keys."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and (character.isdigit() or character in ".,")


class TimetableBuildScreen(ModalScreen[bool]):
    """Build or repair one clinic's timetable, review the plan, then apply it or discard it."""

    DEFAULT_CSS = """
    TimetableBuildScreen {
        align: center middle;
    }
    TimetableBuildScreen > #build-dialog {
        width: 100%;
        max-width: 140;
        height: 100%;
        border: round $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    TimetableBuildScreen #build-overview {
        height: auto;
        color: $text-muted;
    }
    TimetableBuildScreen #build-limit-row {
        height: 1;
        margin-top: 1;
    }
    TimetableBuildScreen #build-limit-row Label {
        width: auto;
        padding-right: 1;
        text-style: bold;
    }
    TimetableBuildScreen #build-time-limit {
        width: 10;
    }
    TimetableBuildScreen #build-limit-hint {
        width: 1fr;
        padding-left: 2;
        color: $text-muted;
    }
    TimetableBuildScreen #build-progress-row {
        height: 1;
    }
    TimetableBuildScreen #build-progress {
        width: auto;
        padding-right: 2;
    }
    TimetableBuildScreen #build-progress-text {
        width: 1fr;
    }
    TimetableBuildScreen #build-message {
        display: none;
        color: $text-error;
        background: $error-muted;
        text-style: bold;
        padding: 0 1;
    }
    TimetableBuildScreen #build-message.-shown {
        display: block;
    }
    TimetableBuildScreen #build-summary-box {
        height: auto;
        max-height: 8;
        margin-top: 1;
    }
    TimetableBuildScreen #build-changes-title {
        height: 1;
        text-style: bold;
        background: $boost;
        padding: 0 1;
    }
    TimetableBuildScreen #build-changes {
        height: 1fr;
    }
    TimetableBuildScreen #build-detail {
        height: 3;
        background: $boost;
        padding: 0 1;
    }
    TimetableBuildScreen #build-keys {
        height: 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # The time-limit field only takes digits (SecondsInput), so these letters reach the screen from it too.
        Binding("b", "build", "Build", priority=True),
        Binding("a", "apply", "Apply", priority=True),
        Binding("d", "discard", "Discard", priority=True),
        Binding("escape", "discard", "Discard", key_display="Esc", show=False),
    ]

    def __init__(self, clinic_id: int, *, repair: bool = False, time_limit: float = DEFAULT_TIME_LIMIT) -> None:
        super().__init__()
        self.clinic_id = clinic_id
        self.repair = repair
        self.time_limit = time_limit
        self.state = "ready"  # ready -> building -> built -> applying (-> dismissed); failed builds go back to ready
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
        self.query_one("#build-keys", Static).update(keys)
        self.refresh_bindings()

    # -- overview -----------------------------------------------------------------------------------------

    def _load_overview(self) -> None:
        database = self.app.database  # type: ignore[attr-defined]
        settings = self.app.settings  # type: ignore[attr-defined]
        clinic_id = self.clinic_id

        def work() -> Callable[[], None]:
            try:
                with database.read_session() as session:  # no write lock: a colleague's save never holds it up
                    clinic = session.get(ClinicEvent, clinic_id)
                    name = clinic.name if clinic is not None else f"clinic {clinic_id}"
                    instance = clinic_planning.load_instance(session, clinic_id, settings=settings)
            except USER_ERRORS as exc:
                return partial(self._show_error, error_text(exc))
            overview = ClinicOverview(
                name=name,
                families=len(instance.patients),
                requests=len(instance.requests),
                booked=sum(1 for r in instance.requests if r.appointment_id is not None),
                pinned=sum(1 for r in instance.requests if r.pinned is not None),
            )
            return partial(self._show_overview, overview)

        self.run_worker(work, thread=True, group="timetable-overview")

    def _show_overview(self, overview: ClinicOverview) -> None:
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

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Each worker returns what to show next; it runs here, on the UI thread, if the screen is still open."""
        if event.state is WorkerState.SUCCESS and callable(event.worker.result) and not self._dismissed:
            event.worker.result()

    def _post(self, callback: Callable[..., object], *args: object) -> None:
        """From the solver's thread: run ``callback`` on the UI thread, unless the screen or app has gone."""
        if self._dismissed:
            return
        with contextlib.suppress(RuntimeError):  # the app is shutting down: nobody is looking any more
            self.app.call_from_thread(callback, *args)

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
        return True

    @on(Input.Submitted, "#build-time-limit")
    def _limit_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_build()

    def action_build(self) -> None:
        if self.state not in ("ready", "built"):
            return
        try:
            limit = parse_time_limit(self.query_one("#build-time-limit", Input).value)
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
        database = self.app.database  # type: ignore[attr-defined]
        settings = self.app.settings  # type: ignore[attr-defined]
        clinic_id, repair = self.clinic_id, self.repair

        def on_solution(objective: float, seconds: float) -> None:
            self._post(self._solution_found, number, objective, seconds)

        def work() -> Callable[[], None]:
            try:
                # Read in a read session (no write lock), then the solver runs with no database session open.
                instance, result = clinic_planning.build_timetable(
                    database, clinic_id, time_limit=limit, repair=repair, on_solution=on_solution, settings=settings
                )
            except USER_ERRORS as exc:
                return partial(self._build_failed, number, error_text(exc))
            return partial(self._build_done, number, instance, result)

        self.run_worker(work, thread=True, group="timetable-build")

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

    def _solution_found(self, number: int, objective: float, seconds: float) -> None:
        if number != self._build_number or self.state != "building":
            return
        self.solutions += 1
        self.latest_objective = objective
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

    def _build_done(self, number: int, instance: sch.Instance, result: sch.ScheduleResult | None) -> None:
        if number != self._build_number:
            return
        self._stop_ticker()
        self.state = "built"
        self.instance, self.result = instance, result
        progress = self.query_one("#build-progress", ProgressBar)
        progress.update(progress=progress.total or 0)
        summary = self.query_one("#build-summary", Static)
        title = self.query_one("#build-changes-title", Static)
        table = self.query_one("#build-changes", DataTable)
        table.clear()
        if result is None:
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
        lines = result.summary_lines(instance)
        if result.status in APPLICABLE:
            self.plan = timetable_plan.plan_changes(instance, result)
            if self.plan.breaches:  # before the list of what could not be placed, which can be long
                first_unplaced = next(
                    (n for n, line in enumerate(lines) if line.startswith("  not placed")), len(lines)
                )
                lines.insert(
                    first_unplaced,
                    f"{len(self.plan.breaches)} booked appointment{'s' if len(self.plan.breaches) != 1 else ''} "
                    "broke a rule as the timetable stood (the review gives the rule for each one moved)",
                )
            self.changes = review_rows(instance, self.plan)
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
        database = self.app.database  # type: ignore[attr-defined]
        clinic_id = self.clinic_id

        def work() -> Callable[[], None]:
            try:
                with database.session() as session:
                    applied = clinic_planning.apply_solution(session, clinic_id, instance, result)
            except (*USER_ERRORS, ValueError) as exc:
                return partial(self._apply_failed, error_text(exc))
            return partial(self._applied, applied)

        self.run_worker(work, thread=True, group="timetable-apply")

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

    def _close(self, applied: bool) -> None:
        self._dismissed = True
        self._build_number += 1  # a build still running is ignored when it ends
        self._stop_ticker()
        self.dismiss(applied)


def open_timetable_build(screen: object, clinic_id: int, *, repair: bool = False) -> None:
    """Push the build screen for ``clinic_id`` from ``screen``; its ``reload()`` runs when a plan is applied."""
    from textual.screen import Screen

    assert isinstance(screen, Screen)

    def done(applied: bool | None) -> None:
        reload = getattr(screen, "reload", None)
        if applied and reload is not None:
            reload()

    screen.app.push_screen(TimetableBuildScreen(clinic_id, repair=repair), done)
