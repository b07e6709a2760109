"""The frame every top-level screen shares: header (no clock: snapshots stay still), navigation bar, footer.

Every screen runs use cases through ``run_use_case`` (``ui/background.py``): the one path to the data.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header

from coordinator_tui.ui.background import RunsUseCases
from coordinator_tui.ui.watchers import prune_dead_watchers
from coordinator_tui.ui.widgets.footer import ScreenFooter
from coordinator_tui.ui.widgets.nav import NavBar


class CoordinatorScreen(Screen[None], RunsUseCases):
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
