"""Release widgets that Textual keeps alive through watchers (Textual issue #6666, open in 8.2).

``self.watch(other, "attr", …)`` and ``data_bind`` store ``(watching widget, callback)`` on the *watched* object,
and Textual prunes that list only when the watched attribute changes. Two long-lived objects of this app gather
dead entries that way, each holding a whole removed widget tree:

- the app: every screen's ``Header`` watches ``app.title`` and ``app.sub_title`` (about 1 MB per patient record
  opened and closed);
- each top-level screen's ``Footer``: every ``FooterKey`` it builds when the keys change (each focus change) is
  bound to ``Footer.compact`` (``ui/widgets/footer.py`` prunes them).

``prune_dead_watchers`` applies Textual's own rule (drop the entries of widgets that are closing or closed) at
the moments when such widgets have just been removed.
"""

from __future__ import annotations

from typing import Any


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
