"""The navigation bar under the header: the top-level screens and the keys that open them."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget
from textual.widgets import Input, Static

from coordinator_tui.ui.navigation import TOP_LEVEL_SCREENS, TopLevelScreen

#: Shorter titles, used only when the bar would not fit the terminal's width otherwise (80 columns).
SHORT_TITLES = {"Clinic days": "Clinics", "Professionals": "Staff"}
PADDING = 2  # the bar's own padding, one cell either side


class NavBar(Static):
    """``1 Patients  2 Clinic days …`` with the current screen marked by brackets and a bar, not colour alone.

    While a text box has the focus, digits are typed into it (NHS numbers), so the bar shows the function keys
    that switch screens from there instead: ``F2 Patients  F3 Clinic days …``.

    Every screen's key and title fit the width: the spacing tightens first, then the longest titles shorten
    (``SHORT_TITLES``); only then is the end cut (with an ellipsis).
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

    _typing = False

    def on_mount(self) -> None:
        # A screen belongs to one mode for its whole life, so the mode current when it mounts is its own.
        self.watch(self.screen, "focused", self._focus_changed)

    def _focus_changed(self, focused: Widget | None) -> None:
        self._typing = isinstance(focused, Input)
        self.update(self.render_bar(typing=self._typing))

    def on_resize(self) -> None:
        self.update(self.render_bar(typing=self._typing))

    def render_bar(
        self, *, typing: bool = False, width: int | None = None, screens: Sequence[TopLevelScreen] | None = None
    ) -> Text:
        current = getattr(self.app, "current_mode", "")
        # The bar's own size is its content's (padding left out); before it has one, the terminal's less padding.
        room = (width - PADDING) if width else (self.size.width or self.app.size.width - PADDING)
        return bar_text(screens or TOP_LEVEL_SCREENS, current, room, typing=typing)


def bar_text(screens: Sequence[TopLevelScreen], current: str, room: int, *, typing: bool = False) -> Text:
    """The bar for ``room`` cells: roomy spacing when it fits, then tighter spacing, then short titles."""
    text = Text()
    for gap, short in ((0, False), (2, False), (1, False), (2, True), (1, True)):
        text = _bar(screens, current, typing=typing, gap=gap, short=short)
        if cell_len(text.plain) <= room:
            break
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def _bar(screens: Sequence[TopLevelScreen], current: str, *, typing: bool, gap: int, short: bool) -> Text:
    """``gap`` 0: the roomy bar (each entry padded); else entries ``gap`` spaces apart."""
    text = Text()
    for index, entry in enumerate(screens):
        key = entry.function_key.upper() if typing and entry.function_key else entry.key
        title = SHORT_TITLES.get(entry.title, entry.title) if short else entry.title
        if index:
            text.append(" " * (gap or 1))
        if entry.mode == current:
            text.append(f"[{key} {title}]", style="bold reverse")
        elif gap:
            text.append(key, style="bold")
            text.append(f" {title}")
        else:
            text.append(f" {key}", style="bold")
            text.append(f" {title} ")
    return text
