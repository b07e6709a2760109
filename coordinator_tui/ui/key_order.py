"""Keys acted on in the order they were typed, however busy the app is.

Textual gives each key to the widget that has the focus when the app takes the key from its queue. A text box
inserts a printable character there and then, in its own queue; but a key bound to an action (End, Ctrl+U,
Backspace, Enter, Tab) acts only once the key has bubbled back up to the app, through the queue of each container
on the way. When keys come faster than the app handles them (a busy machine, a paste, a fast typist), they act out
of order:

- at load average 6, Tab, Tab, End, Ctrl+U, "12345", Enter on a contact form typed "12345" over the selected phone
  number first, and only then went to the end, deleted everything left of the cursor and saved: the phone number
  was saved blank, and the app said "Contact saved.";
- keys typed after a Tab that had not acted yet went into the field before it.

A screen that mixes in ``KeysInOrder`` (the forms) takes every key and paste typed while it is in front into one
queue, its own (``CoordinatorApp.on_event`` sends them there), and acts on each one completely before the next:

1. the app's priority keys, as Textual does first;
2. the key (or paste) goes to the focused widget, as in Textual, and the screen waits until the widget has handled
   it. A widget that takes the key itself stops it there (a character in a text box, a new line in a text area);
3. a key the widget did not stop runs its binding now, looked up from the focused widget up, as Textual would once
   the key had bubbled up to the app; then the screen waits until what the action set off in the focused widget and
   its containers has been handled (a choice list closing and giving the focus back), so that the next key finds
   the focus where it should be.

So what a form saves on Enter is what its fields show once every key typed before Enter has acted, and every key
lands in the field that has the focus when it is its turn.

This relies on Textual's ``App._check_bindings`` (the method Textual itself calls for a key that reached the app),
on a copy of the key whose class does not bubble (so that it does not reach the app a second time), and on the
event's ``_stop_propagation`` flag (whether the widget stopped it). ``tests/ui/test_form_keys.py`` and
``tests/ui/test_every_form.py`` fail if a Textual upgrade changes any of them.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

from textual import events
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget

#: The longest a key waits for a widget to handle the keys before it (or what their actions set off); then the form
#: goes on with the next key rather than stop taking keys. A widget removed meanwhile is not waited for.
HANDLED_WITHIN_SECONDS = 5.0
CHECK_EVERY_SECONDS = 0.1


class Key(events.Key, bubble=False):
    """A key handed to one widget only: it does not bubble up to the app to run its bindings a second time.

    Its class is called ``Key`` so that its handlers are a widget's own ``_on_key`` / ``on_key``."""


class Paste(events.Paste, bubble=False):
    """A paste handed to one widget only (see ``Key``)."""


class KeysInOrder:
    """Mixed into a screen, acts on the keys typed while it is in front one at a time, in the order they were typed.

    Put it first (a plain class: Textual reads a screen's CSS type names along its first bases only):
    ``class FormScreen(KeysInOrder, ModalScreen[T])``."""

    class Typed(Message, bubble=False):
        """A key or paste typed while this screen was in front, queued in typing order."""

        def __init__(self, event: events.Key | events.Paste) -> None:
            super().__init__()
            self.event = event

    def take(self, event: events.Key | events.Paste) -> None:
        """Queue a key or paste the app received (called by the app, in the order the keys came)."""
        cast(Screen[Any], self).post_message(self.Typed(event))

    async def _on_keys_in_order_typed(self, message: Typed) -> None:
        await self.act_on(message.event)

    async def act_on(self, event: events.Key | events.Paste) -> None:
        """Act on one key or paste completely before the next is taken."""
        screen = cast(Screen[Any], self)
        app = screen.app
        if app.screen is not screen:
            # An earlier key closed this screen or opened a dialog over it: the key is for what is in front now.
            app.post_message(_fresh(event))
            return
        focused = screen.focused
        if isinstance(event, events.Paste):
            if focused is not None:
                await _handled(focused, Paste(event.text))
            return
        if await app._check_bindings(event.key, priority=True):
            return
        if focused is not None:
            key = Key(event.key, event.character)
            await _handled(focused, key)
            if key._stop_propagation:  # the widget took the key itself
                return
        await app._check_bindings(event.key)
        if focused is not None:
            for node in focused.ancestors_with_self:
                if node is screen or not isinstance(node, Widget):
                    break
                await _handled(node, None)


async def _handled(widget: Widget, event: Key | Paste | None) -> None:
    """Hand ``event`` (if any) to ``widget``, then wait until the widget has handled everything queued before.

    Stops waiting if the widget is removed meanwhile (it would never answer), and after ``HANDLED_WITHIN_SECONDS``
    at most, so that a form never stops taking keys."""
    done = asyncio.Event()
    if event is not None and not widget.post_message(event):
        return
    if not widget.call_later(done.set):
        return
    waited = 0.0
    while not done.is_set() and widget.is_attached and waited < HANDLED_WITHIN_SECONDS:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), CHECK_EVERY_SECONDS)
        waited += CHECK_EVERY_SECONDS


def _fresh(event: events.Key | events.Paste) -> events.Key | events.Paste:
    if isinstance(event, events.Paste):
        return events.Paste(event.text)
    return events.Key(event.key, event.character)
