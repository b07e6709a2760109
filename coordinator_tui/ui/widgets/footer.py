"""The footer of every screen: the keys that matter now, F1 Help always in sight."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from coordinator_tui.ui.watchers import prune_dead_watchers

PALETTE_EXTRA = 2  # the command palette key's left border and right padding
DROPPED_FIRST = ("quit",)  # after the command palette's key, the keys that give way first (F1 lists them)


def key_width(key: FooterKey) -> int:
    """The cells a compact footer key takes: its key, a space and its description, and the margin after it."""
    description = f" {key.description}" if key.description else ""
    extra = PALETTE_EXTRA if key.has_class("-command-palette") else 1
    return len(key.key_display) + len(description) + extra


def keys_that_fit(widgets: Sequence[Widget], width: int) -> list[Widget]:
    """The footer's keys that fit ``width`` cells whole: without the command palette's key, then without Quit,
    then without the last keys, as needed. F1 Help is always kept."""
    shown = list(widgets)

    def total() -> int:
        return sum(key_width(w) if isinstance(w, FooterKey) else len(str(getattr(w, "renderable", ""))) for w in shown)

    def drop_where(test: Any) -> bool:
        for widget in reversed(shown):
            if isinstance(widget, FooterKey) and widget.action != "help" and test(widget):
                shown.remove(widget)
                return True
        return False

    for test in (
        lambda key: key.has_class("-command-palette"),
        lambda key: key.action in DROPPED_FIRST,
        lambda key: True,
    ):
        while total() > width and drop_where(test):
            pass
    return shown


class ScreenFooter(Footer):
    """Textual's Footer, rebuilt only when the keys it shows change, releasing the key widgets it replaces.

    Textual's Footer rebuilds its keys whenever the screen's bindings are updated: at each focus change, and
    eight times while the first screen starts (a quarter of its start-up time), although the keys are mostly the
    same. This one keeps its keys when the bindings it would show are the same as last time.

    F1 Help is docked at its left, and no key is ever cut in half: when the keys do not fit the terminal's width,
    the command palette's key goes first (ctrl+p still works, and F1 lists it), then Quit, then the last keys, until
    every key shown is whole; F1 lists them all.
    """

    DEFAULT_CSS = """
    ScreenFooter FooterKey.-help {
        dock: left;
    }
    """

    _shown: tuple[Any, ...] | None = None

    def _bindings_now(self) -> tuple[Any, ...]:
        return tuple(
            (binding, enabled, tooltip) for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
        )

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        for widget in widgets:
            if isinstance(widget, FooterKey) and widget.action == "help":
                widget.add_class("-help")
        self._composed_for = self._width()
        yield from keys_that_fit(widgets, self._composed_for)

    _composed_for = 0  # the width the keys shown were chosen for

    def _width(self) -> int:
        return self.size.width or self.app.size.width

    def on_resize(self) -> None:
        if self._composed_for and self._composed_for != self._width():
            self.call_after_refresh(self.recompose)

    async def recompose(self) -> None:
        if not self.is_attached:
            return  # asked for before its screen closed
        bindings = (*self._bindings_now(), self._width()) if self._bindings_ready else None
        if bindings is not None and bindings == self._shown:
            return
        self._shown = bindings
        await super().recompose()
        prune_dead_watchers(self)
