"""How a screen reaches the data: one use case from ``services/``, run off the UI thread, its result posted back.

A use case is a function of the open ``Database`` that manages its own unit of work (``database.read`` or
``database.write``); the UI never holds a session. ``run_use_case`` runs it in a worker thread and posts the
result to the widget that asked, as a ``UseCaseDone`` message whose handler calls ``done(result)`` on the UI
thread; an error the user can act on (``ui.errors.USER_ERRORS``) comes back as ``UseCaseFailed`` and is shown as a
notification titled ``failed``. A widget closed before the answer arrives never gets it. Anything else is a bug
and stops the app with its traceback, as any worker error does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, get_current_worker

from coordinator_tui.ui.errors import USER_ERRORS, error_text

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from coordinator_tui.db import Database
    from coordinator_tui.ui.app import CoordinatorApp

T = TypeVar("T")


def coordinator_app(node: MessagePump) -> CoordinatorApp:
    """The running app, typed: its database, settings, time zone and the jumps between screens."""
    return cast("CoordinatorApp", node.app)


async def use_case_result(node: MessagePump, use_case: Callable[[Database], T]) -> T:
    """Run ``use_case(database)`` in a thread and wait for its result, for code that is not a widget and awaits the
    answer inline (the command palette's search). Errors are raised to the caller."""
    app = coordinator_app(node)
    return await asyncio.to_thread(lambda: use_case(app.database))


class UseCaseDone(Message, bubble=False):
    """A use case's result, for the widget that ran it; its handler calls ``done``."""

    def __init__(self, done: Callable[[Any], object] | None, result: object) -> None:
        super().__init__()
        self.done = done
        self.result = result


class UseCaseFailed(Message, bubble=False):
    """A use case refused with an error the user can act on (``text``), shown under ``title``."""

    def __init__(self, text: str, title: str, done: Callable[[str], object] | None) -> None:
        super().__init__()
        self.text = text
        self.title = title
        self.done = done


def run_use_case(
    node: Widget,
    use_case: Callable[[Database], T],
    done: Callable[[T], object] | None = None,
    *,
    failed: str = "Not saved",
    on_error: Callable[[str], object] | None = None,
    group: str = "db",
    exclusive: bool = False,
) -> Worker[None]:
    """Run ``use_case(database)`` in a worker thread; ``done(result)`` then runs on the UI thread.

    ``node`` must handle ``UseCaseDone`` and ``UseCaseFailed`` (``RunsUseCases`` does). An error the user can act
    on is shown as a notification titled ``failed``, and given to ``on_error`` too (a form showing it in place).
    With ``exclusive``, a newer run in the same ``group`` cancels this one and its result is dropped.
    """
    app = coordinator_app(node)

    def work() -> None:
        try:
            result = use_case(app.database)
        except USER_ERRORS as exc:
            node.post_message(UseCaseFailed(error_text(exc), failed, on_error))
            return
        if not get_current_worker().is_cancelled:
            node.post_message(UseCaseDone(done, result))

    return node.run_worker(work, thread=True, group=group, exclusive=exclusive)


class RunsUseCases(Widget):
    """Mixin for a screen or widget that runs use cases: takes their results and shows their errors."""

    def run_use_case(
        self,
        use_case: Callable[[Database], T],
        done: Callable[[T], object] | None = None,
        *,
        failed: str = "Not saved",
        on_error: Callable[[str], object] | None = None,
        group: str = "db",
        exclusive: bool = False,
    ) -> Worker[None]:
        return run_use_case(self, use_case, done, failed=failed, on_error=on_error, group=group, exclusive=exclusive)

    @property
    def coordinator(self) -> CoordinatorApp:
        return coordinator_app(self)

    def on_use_case_done(self, message: UseCaseDone) -> None:
        message.stop()
        if message.done is not None:
            message.done(message.result)

    def on_use_case_failed(self, message: UseCaseFailed) -> None:
        message.stop()
        self.notify(message.text, title=message.title, severity="error", timeout=8)
        if message.done is not None:
            message.done(message.text)
