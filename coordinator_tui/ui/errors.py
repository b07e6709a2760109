"""The errors a screen shows the user instead of crashing, and their one-line text."""

from __future__ import annotations

from coordinator_tui.errors import DatabaseError
from coordinator_tui.services.errors import ConcurrentEditError, NotFoundError
from coordinator_tui.validation import FieldError, ValidationError

#: Errors from a use case that the user can act on: shown as a notification, never a crash.
USER_ERRORS = (ValidationError, FieldError, ConcurrentEditError, NotFoundError, DatabaseError)


def error_text(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.errors.values())
    if isinstance(error, FieldError):
        return error.message
    return str(error)
