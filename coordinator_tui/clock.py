"""The one place the app asks for 'now' and 'today', so tests and snapshots can fix the date."""

from __future__ import annotations

import datetime as dt
import os

_fixed_now: dt.datetime | None = None


def set_fixed_now(moment: dt.datetime | None) -> None:
    """Fix the clock (an aware datetime) or, with None, let it run again."""
    global _fixed_now
    if moment is not None and moment.tzinfo is None:
        raise ValueError("the fixed clock needs an aware datetime")
    _fixed_now = moment


def now() -> dt.datetime:
    """The current moment, timezone-aware (UTC)."""
    if _fixed_now is not None:
        return _fixed_now.astimezone(dt.UTC)
    fixed = os.environ.get("COORDINATOR_FIXED_NOW")
    if fixed:
        moment = dt.datetime.fromisoformat(fixed)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)
    return dt.datetime.now(dt.UTC)


def today(zone: str = "Europe/London") -> dt.date:
    """Today's date in the service's zone."""
    from zoneinfo import ZoneInfo

    return now().astimezone(ZoneInfo(zone)).date()
