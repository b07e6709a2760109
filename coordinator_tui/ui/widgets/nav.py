"""The navigation bar under the header: the top-level screens and the keys that open them."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class NavBar(Static):
    """``1 Patients  2 Clinic days …`` with the current screen marked by brackets and a bar, not colour alone."""

    DEFAULT_CSS = """
    NavBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        # A screen belongs to one mode for its whole life, so the mode current when it mounts is its own.
        self.update(self.render_bar())

    def render_bar(self) -> Text:
        from coordinator_tui.ui.app import TOP_LEVEL_SCREENS

        current = getattr(self.app, "current_mode", "")
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, entry in enumerate(TOP_LEVEL_SCREENS):
            if index:
                text.append(" ")
            if entry.mode == current:
                text.append(f"[{entry.key} {entry.title}]", style="bold reverse")
            else:
                text.append(f" {entry.key}", style="bold")
                text.append(f" {entry.title} ")
        return text
