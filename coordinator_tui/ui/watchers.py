"""Release widgets that Textual keeps alive through watchers (Textual issue #6666, open in 8.2).

``self.watch(other, "attr", …)`` and ``data_bind`` store ``(watching widget, callback)`` on the *watched* object,
and Textual prunes that list only when the watched attribute changes. Two long-lived objects of this app gather
dead entries that way, each holding a whole removed widget tree:

- the app: every screen's ``Header`` watches ``app.title`` and ``app.sub_title`` (about 1 MB per patient record
  opened and closed);
- each top-level screen's ``Footer``: every ``FooterKey`` it builds when the keys change (each focus change) is
  bound to ``Footer.compact``.

``prune_dead_watchers`` applies Textual's own rule (drop the entries of widgets that are closing or closed) at
the moments when such widgets have just been removed.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


def _closed(node: Any) -> bool:
    return bool(getattr(node, "_closing", False) or getattr(node, "_closed", False))


def prune_dead_watchers(observed: object) -> int:
    """Drop the watchers on ``observed`` that belong to removed widgets; returns how many were dropped."""
    watchers: dict[str, list[tuple[Any, Any]]] | None = getattr(observed, "__watchers", None)
    if not watchers:
        return 0
    dropped = 0
    for entries in watchers.values():
        alive = [(node, callback) for node, callback in entries if not _closed(node)]
        dropped += len(entries) - len(alive)
        entries[:] = alive
    return dropped


class ScreenFooter(Footer):
    """Textual's Footer, rebuilt only when the keys it shows change, releasing the key widgets it replaces.

    Textual's Footer rebuilds its keys whenever the screen's bindings are updated: at each focus change, and
    eight times while the first screen starts (a quarter of its start-up time), although the keys are mostly the
    same. This one keeps its keys when the bindings it would show are the same as last time.
    """

    _shown: tuple[Any, ...] | None = None

    def _bindings_now(self) -> tuple[Any, ...]:
        return tuple(
            (binding, enabled, tooltip) for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
        )

    async def recompose(self) -> None:
        if not self.is_attached:
            return  # asked for before its screen closed
        bindings = self._bindings_now() if self._bindings_ready else None
        if bindings is not None and bindings == self._shown:
            return
        self._shown = bindings
        await super().recompose()
        prune_dead_watchers(self)
