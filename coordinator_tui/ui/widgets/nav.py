"""The navigation bar under the header: the top-level screens and the keys that open them."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Input, Static

from coordinator_tui.ui.navigation import TOP_LEVEL_SCREENS


class NavBar(Static):
    """``1 Patients  2 Clinic days …`` with the current screen marked by brackets and a bar, not colour alone.

    While a text box has the focus, digits are typed into it (NHS numbers), so the bar shows the function keys
    that switch screens from there instead: ``F2 Patients  F3 Clinic days …``.
    """

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
        self.watch(self.screen, "focused", self._focus_changed)

    def _focus_changed(self, focused: Widget | None) -> None:
        self.update(self.render_bar(typing=isinstance(focused, Input)))

    def render_bar(self, *, typing: bool = False) -> Text:
        current = getattr(self.app, "current_mode", "")
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, entry in enumerate(TOP_LEVEL_SCREENS):
            key = entry.function_key.upper() if typing and entry.function_key else entry.key
            if index:
                text.append(" ")
            if entry.mode == current:
                text.append(f"[{key} {entry.title}]", style="bold reverse")
            else:
                text.append(f" {key}", style="bold")
                text.append(f" {entry.title} ")
        return text
