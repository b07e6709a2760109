"""The frame every top-level screen shares: header (no clock: snapshots stay still), navigation bar, footer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header

from coordinator_tui.ui.widgets.nav import NavBar


class CoordinatorScreen(Screen[None]):
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
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()
