"""The footer of every screen: the keys that matter now, F1 Help always in sight."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from coordinator_tui.ui.watchers import prune_dead_watchers


class ScreenFooter(Footer):
    """Textual's Footer, rebuilt only when the keys it shows change, releasing the key widgets it replaces.

    Textual's Footer rebuilds its keys whenever the screen's bindings are updated: at each focus change, and
    eight times while the first screen starts (a quarter of its start-up time), although the keys are mostly the
    same. This one keeps its keys when the bindings it would show are the same as last time.

    F1 Help is docked at its left: a screen's other keys may be cut off at the right edge of an 80-column terminal,
    never the key that lists them all.
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
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action == "help":
                widget.add_class("-help")
            yield widget

    async def recompose(self) -> None:
        if not self.is_attached:
            return  # asked for before its screen closed
        bindings = self._bindings_now() if self._bindings_ready else None
        if bindings is not None and bindings == self._shown:
            return
        self._shown = bindings
        await super().recompose()
        prune_dead_watchers(self)
