"""Errors the services raise; each message is one line, free of patient data, fit to show to the user."""

from __future__ import annotations


class NotFoundError(LookupError):
    pass


class ConcurrentEditError(RuntimeError):
    """The record changed since the form was opened: the save is refused, nothing is overwritten."""

    def __init__(self, entity: str, changed_by: str | None, changed_at: str | None) -> None:
        self.entity = entity
        self.changed_by = changed_by
        self.changed_at = changed_at
        who = f"{changed_by} at {changed_at}" if changed_by else "someone else"
        super().__init__(
            f"this {entity} was changed by {who} after you opened it; your changes were not saved. "
            "Your typed values are kept: reload to see the other changes, then save again"
        )
