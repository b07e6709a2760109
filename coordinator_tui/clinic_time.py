"""Wall-clock clinic times in the service's zone (Europe/London by default), summer time included."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/London"


@lru_cache(maxsize=16)
def zone(name: str = DEFAULT_ZONE) -> ZoneInfo:
    return ZoneInfo(name)


def local_to_utc(day: dt.date, at: dt.time, zone_name: str = DEFAULT_ZONE) -> dt.datetime:
    """09:00 on a given day in the zone, as an aware UTC datetime (correct on both sides of a clock change)."""
    return dt.datetime.combine(day, at, tzinfo=zone(zone_name)).astimezone(dt.UTC)


def to_local(moment: dt.datetime, zone_name: str = DEFAULT_ZONE) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: clinic times must be aware")
    return moment.astimezone(zone(zone_name))


def format_local_time(moment: dt.datetime, zone_name: str = DEFAULT_ZONE) -> str:
    return to_local(moment, zone_name).strftime("%H:%M")


def format_date(day: dt.date) -> str:
    """UK convention: DD/MM/YYYY."""
    return day.strftime("%d/%m/%Y")


def format_local_datetime(moment: dt.datetime, zone_name: str = DEFAULT_ZONE) -> str:
    local = to_local(moment, zone_name)
    return f"{format_date(local.date())} {local:%H:%M}"
