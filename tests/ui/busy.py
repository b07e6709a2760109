"""Keys as a terminal delivers them while the app is busy: all at once, with the CPU taken by something else."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from sqlmodel import col, select
from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot

from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent
from tests.ui.helpers import settle

#: The character a terminal sends with each named key (Textual's drivers set it the same way).
KEY_CHARACTERS = {"enter": "\r", "tab": "\t", "escape": "\x1b", "backspace": "\x7f", "ctrl+u": "\x15"}


def key_event(key: str) -> events.Key:
    if len(key) == 1:
        return events.Key(_character_to_key(key), key)
    return events.Key(key, KEY_CHARACTERS.get(key))


def typed(text: str) -> list[str]:
    return list(text)


@contextlib.contextmanager
def cpu_held() -> Iterator[None]:
    """A thread that keeps the CPU (and the GIL, in turns) busy: the app handles its keys slowly meanwhile."""
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(20_000))

    thread = threading.Thread(target=spin, name="busy", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


async def burst(pilot: Pilot[Any], keys: Sequence[str | events.Paste]) -> None:
    """Every key (or paste) arrives before the app has handled the first, while the CPU is busy; then let it all
    settle."""
    with cpu_held():
        for key in keys:
            pilot.app.post_message(key if isinstance(key, events.Paste) else key_event(key))
        await settle(pilot)


def last_audit_id(db: Database) -> int:
    with db.session() as session:
        return max(session.exec(select(col(AuditEvent.id))).all(), default=0) or 0
