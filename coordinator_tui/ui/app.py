"""The Coordinator TUI application: top-level screens (from ``ui/navigation.py``), global keys, help and the
command palette."""

from __future__ import annotations

import gc
import importlib
import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App, ScreenStackError, UnknownModeError
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.screen import Screen

from coordinator_tui.clinic_time import DEFAULT_ZONE
from coordinator_tui.config import Settings
from coordinator_tui.errors import DatabaseError
from coordinator_tui.ui.hidden_controls import HiddenControlFilter
from coordinator_tui.ui.key_order import KeysInOrder
from coordinator_tui.ui.navigation import TOP_LEVEL_SCREENS, WARM_UP_MODULES, TopLevelScreen

if TYPE_CHECKING:
    from textual.command import Provider

    from coordinator_tui.db import Database
    from coordinator_tui.services.people.patient_summary import PatientSummary
    from coordinator_tui.services.service_details import ServiceDetails

DEFAULT_SERVICE_NAME = "National Alström Syndrome Service"  # the title until the service's details are read


def _screen_factory(entry: TopLevelScreen) -> Callable[[], Screen[Any]]:
    def build() -> Screen[Any]:
        module_name, _, class_name = entry.target.partition(":")
        screen_class = getattr(importlib.import_module(module_name), class_name)
        return screen_class()

    return build


def _command_providers() -> set[type[Provider] | Callable[[], type[Provider]]]:
    def coordinator_commands() -> type[Provider]:
        from coordinator_tui.ui.command_palette import CoordinatorCommands

        return CoordinatorCommands

    return {coordinator_commands}


class CoordinatorApp(App[int]):
    """Keyboard-driven app for the specialist nurse / care coordinator."""

    CSS_PATH = "app.tcss"
    TITLE = "Coordinator"
    ENABLE_COMMAND_PALETTE = True
    COMMAND_PALETTE_BINDING = "ctrl+p"
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = App.COMMANDS | _command_providers()
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        entry.mode: _screen_factory(entry) for entry in TOP_LEVEL_SCREENS
    }
    DEFAULT_MODE: ClassVar[str] = TOP_LEVEL_SCREENS[0].mode
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(entry.keys, f"switch_to('{entry.mode}')", entry.title, show=False) for entry in TOP_LEVEL_SCREENS),
        Binding("f1", "help", "Help", key_display="F1"),
        Binding("question_mark", "help", "Help", show=False, key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+p", "command_palette", "Find anything", show=False, priority=True, key_display="^p"),
    ]

    def __init__(
        self,
        database: Database | None = None,
        settings: Settings | None = None,
        *,
        open_database: Callable[[], Database] | None = None,
        after_open: Callable[[Database], str | None] | None = None,
        notice: str | None = None,
        first_page: Callable[[], list[PatientSummary] | None] | None = None,
        **kwargs: Any,
    ) -> None:
        """Either an open ``database``, or ``open_database`` to open it in the background once the first screen
        shows (start-up stays fast: the database stack loads while the coordinator starts typing).
        ``after_open`` runs in that background thread once the database is open (the daily backup); a message it
        returns is shown as a warning. ``notice`` is shown once the first screen is up (e.g. a new database).
        ``first_page`` gives the patient list's first page read before the database opened (with SQLite alone,
        ``db_file.read_first_patients``), so the first frame shows patients; None when it could not be read.

        Once the database is open, SQLite's quick check of every page runs in the background (start-up does not
        wait for it); if it fails, every save is refused from then on and the coordinator is told why."""
        super().__init__(**kwargs)
        self._notice = notice
        if (database is None) == (open_database is None):
            raise ValueError("give either an open database or a way to open one")
        self._database = database
        self._open_database = open_database
        self._after_open = after_open
        self._first_page = first_page
        self._database_ready = threading.Event()
        if database is not None:
            self._database_ready.set()
        #: Why the database could not be opened in the background (the app exits with status 1).
        self.startup_error: str | None = None
        self.settings = settings or Settings()
        # The service's name, from its details in the database once they are read (``_read_service_details``).
        self.title = DEFAULT_SERVICE_NAME
        self._zone: str | None = None
        self._hidden_controls = HiddenControlFilter()
        #: Set when the app ends (``on_unmount``): a warm-up still running then keeps nothing frozen.
        self._ended = False

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then one that drops control characters and bidirectional controls from what is drawn:
        a record holding an escape sequence is never obeyed by the terminal (``ui.hidden_controls``)."""
        return [*super().get_line_filters(), self._hidden_controls]

    @property
    def database(self) -> Database:
        """The open database; while it is still opening in the background, waits for it (workers only do)."""
        self._database_ready.wait()
        if self._database is None:
            raise DatabaseError(self.startup_error or "the database could not be opened")
        return self._database

    def take_first_page(self) -> list[PatientSummary] | None:
        """The patient list's first page read at start-up (waiting for it if need be), once; then None."""
        first_page, self._first_page = self._first_page, None
        return None if first_page is None else first_page()

    def on_mount(self) -> None:
        if self._notice:
            self.notify(self._notice, title="Database", timeout=15)
        if self._open_database is not None:
            # Once the first screen is drawn: loading the database stack competes with drawing it otherwise.
            self.call_after_refresh(self._open_in_background)
        else:
            self.call_after_refresh(self._start_up_in_background)

    @work(thread=True, exclusive=True, group="start-up")
    def _start_up_in_background(self) -> None:
        """The start-up work for a database opened before the app (a server's URL, the tests): the same as after
        ``_open_in_background`` opens one, so the first record, clinic day and keystrokes are as quick."""
        self._read_service_details()
        self._after_service_details()

    def _after_service_details(self) -> None:
        """The rest of the start-up work, whichever way the database was opened: the other screens' code loaded,
        then (last, as the coordinator is already working) the whole-file check (about 1.5 s on 10,000 patients)
        and the checklists an interrupted import left unmade."""
        self._warm_up()
        self._check_pages()
        self._make_missing_checklists()

    def _read_service_details(self) -> None:
        """The service's details for the title and time zone, off the UI thread; on the first open of a database,
        an older settings file's service-wide values are moved into them (once), later ignored with a warning."""
        from coordinator_tui.config import settings_file
        from coordinator_tui.services.service_details import take_workstation_settings

        try:
            move = take_workstation_settings(self.database, self.settings, source=str(settings_file()))
        except DatabaseError as exc:
            self.call_from_thread(self.notify, str(exc), title="Service details", severity="warning", timeout=10)
            return
        self.call_from_thread(self.service_details_changed, move.details)
        if move.message:
            severity = "warning" if move.warning else "information"
            self.call_from_thread(self.notify, move.message, title="Settings", severity=severity, timeout=15)

    def service_details_changed(self, details: ServiceDetails) -> None:
        """The service's details as read or saved: its name is the title, its time zone the display zone."""
        self.title = details.name
        self._zone = details.timezone

    def _check_pages(self) -> None:
        """SQLite's quick check, off the UI thread; a damaged database refuses saves and says so (it stays open
        for reading)."""
        from coordinator_tui.db import check_pages

        try:
            problem = check_pages(self.database)
        except DatabaseError:
            return  # busy for longer than the timeout: the check is tried again at the next start
        if problem:
            self.call_from_thread(self.notify, problem, title="Database damaged", severity="error", timeout=600)

    @work(thread=True, exclusive=True, group="open-database", exit_on_error=True)
    def _open_in_background(self) -> None:
        assert self._open_database is not None
        try:
            self._database = self._open_database()
        except DatabaseError as exc:
            self.startup_error = str(exc)
            self._database_ready.set()
            self.call_from_thread(self.exit, None, 1)
            return
        self._database_ready.set()
        self._read_service_details()
        if self._after_open is not None:
            warning = self._after_open(self._database)
            if warning:
                self.call_from_thread(self.notify, warning, title="Backup", severity="warning", timeout=10)
        self._after_service_details()

    def _make_missing_checklists(self) -> None:
        """Off the UI thread: the transition checklists an interrupted import left unmade, made now, and said so
        (nothing is written, and nothing said, when there are none)."""
        from coordinator_tui.services.transition.checklists_to_make import make_missing_checklists

        if self.database.damaged is not None:
            return
        try:
            made = make_missing_checklists(self.database)
        except DatabaseError as exc:
            made_problem = str(exc)
        else:
            if not made.total and not made.stopped:
                return
            made_problem = made.problem()
            if not made_problem:
                message = f"Transition checklists made for {made.done} imported patients (an import had not finished)."
                self.call_from_thread(self.notify, message, title="Checklists", timeout=15)
                self.call_from_thread(self.reload_front_screen)
                return
        message = f"Transition checklists of imported patients not made: {made_problem}"
        self.call_from_thread(self.notify, message, title="Checklists", severity="warning", timeout=30)

    def reload_front_screen(self) -> None:
        """The screen in front reads again what it shows (a list after an import), if it can."""
        reload = getattr(self._front_screen(), "action_reload", None)
        if callable(reload):
            reload()

    def _warm_up(self) -> None:
        """Off the UI thread, while the coordinator reads the list: load the other screens' code, so that the first
        patient record or clinic day opened does not wait for imports; then move what is loaded by now (Textual,
        SQLAlchemy, the screens' code, which live as long as the app) out of the collector's reach, so that a full
        collection no longer walks it (a 60 ms pause mid-keystroke otherwise). Released when the app ends
        (``on_unmount``), so that an app run after it in the same process (the tests, the benchmark) starts clean."""
        for module in WARM_UP_MODULES:
            importlib.import_module(module)
        gc.freeze()
        if self._ended:  # the app ended while this thread was importing: nothing of it is to be kept
            gc.unfreeze()

    def on_unmount(self) -> None:
        self._ended = True
        gc.unfreeze()

    async def on_event(self, event: events.Event) -> None:
        """Keys and pastes typed while a form is in front go to the form's own queue, to be acted on one at a
        time in the order they were typed (see ``ui/key_order.py``); everything else as Textual does."""
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            screen = self._front_screen()
            if isinstance(screen, KeysInOrder):
                if isinstance(event, events.Key) and not self.app_focus:
                    self.app_focus = True
                screen.take(event)
                return
        await super().on_event(event)

    def _front_screen(self) -> Screen[Any] | None:
        try:
            return self.screen
        except (ScreenStackError, UnknownModeError):  # no screen yet, or no longer
            return None

    # ---------------------------------------------------------------------------------------------------------
    # Things every screen needs
    # ---------------------------------------------------------------------------------------------------------

    @property
    def zone(self) -> str:
        """The service's time zone (from its details in the database), read once."""
        if self._zone is None:
            from coordinator_tui.services.people.specialist_service import display_zone

            try:
                self._zone = display_zone(self.database)
            except Exception:  # the zone is only for display: fall back to the default zone
                self._zone = DEFAULT_ZONE
        return self._zone

    # ---------------------------------------------------------------------------------------------------------
    # Actions
    # ---------------------------------------------------------------------------------------------------------

    async def action_switch_to(self, mode: str) -> None:
        """Show a top-level screen; pressing its key again returns to the top of that screen."""
        if mode not in self._modes:
            return
        if self.current_mode == mode:
            while len(self.screen_stack) > 1:
                self.pop_screen()
            return
        await self.switch_mode(mode)

    def get_key_display(self, binding: Binding) -> str:
        """Function keys as printed on the keyboard (F2), wherever keys are listed (footer, help)."""
        display = super().get_key_display(binding)
        return display.upper() if re.fullmatch(r"f\d{1,2}", display) else display

    def action_help(self) -> None:
        from coordinator_tui.ui.widgets.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen.for_screen(self.screen))

    async def open_patient(self, patient_id: int, tab: str | None = None) -> None:
        """Jump to a patient's record (from anywhere: palette, professionals, clinic days)."""
        from coordinator_tui.ui.screens.patient_record import PatientRecordScreen

        await self.switch_mode("patients")
        while len(self.screen_stack) > 1:
            self.pop_screen()
        await self.push_screen(PatientRecordScreen(patient_id, tab=tab))

    async def open_professional(self, professional_id: int) -> None:
        await self.switch_mode("professionals")
        while len(self.screen_stack) > 1:
            self.pop_screen()
        screen = self.screen
        select = getattr(screen, "select_professional", None)
        if select is not None:
            select(professional_id)

    async def open_clinic(self, clinic_id: int) -> None:
        """Jump to a clinic event: the Clinic days screen's ``open_clinic(clinic_id)`` does the rest."""
        await self.switch_mode("clinic_days")
        while len(self.screen_stack) > 1:
            self.pop_screen()
        opener = getattr(self.screen, "open_clinic", None)
        if opener is not None:
            result = opener(clinic_id)
            if hasattr(result, "__await__"):
                await result
        else:
            self.notify("This screen cannot open a clinic yet.", severity="warning")
