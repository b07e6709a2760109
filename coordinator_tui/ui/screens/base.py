"""The frame every top-level screen shares: header (no clock: snapshots stay still), navigation bar, footer.

Also ``run_db``: database work off the UI thread, with the errors a user can act on shown as notifications.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header

from coordinator_tui.ui.background import RunsUseCases
from coordinator_tui.ui.errors import USER_ERRORS, error_text
from coordinator_tui.ui.watchers import prune_dead_watchers
from coordinator_tui.ui.widgets.footer import ScreenFooter
from coordinator_tui.ui.widgets.nav import NavBar

if TYPE_CHECKING:
    from sqlmodel import Session

T = TypeVar("T")


class CoordinatorScreen(RunsUseCases, Screen[None]):
    """Base for the app's screens: subclasses yield their body from ``compose_body``.

    ``screen_title`` names the screen in the header and the help screen.
    """

    screen_title = ""

    def compose(self) -> ComposeResult:
        if self.screen_title:
            self.sub_title = self.screen_title
        yield Header(show_clock=False, icon="≡")
        yield NavBar()
        yield from self.compose_body()
        yield ScreenFooter(compact=True)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_unmount(self) -> None:
        # This screen's header watched the app's title: let the app forget it (see ui/watchers.py).
        prune_dead_watchers(self.app)

    def run_db(
        self,
        job: Callable[[Session], T],
        done: Callable[[T], Any] | None = None,
        *,
        failed: str = "Not saved",
        group: str = "db",
    ) -> None:
        """Run ``job(session)`` in a worker thread (one unit of work), then ``done(result)`` on the UI thread.

        A validation error, a stale save, a busy database or a missing record is shown as a notification titled
        ``failed``; anything else is a bug and stops the app with its traceback.
        """
        database = self.app.database  # type: ignore[attr-defined]

        def work() -> None:
            try:
                with database.session() as session:
                    result = job(session)
            except USER_ERRORS as exc:
                self.app.call_from_thread(self.notify, error_text(exc), title=failed, severity="error", timeout=8)
                return
            if done is not None:
                self.app.call_from_thread(done, result)

        self.run_worker(work, thread=True, group=group)
