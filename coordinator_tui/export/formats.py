"""The itinerary formats (kept apart from the renderers so the command line loads them cheaply)."""

from __future__ import annotations

from collections.abc import Iterable

FORMATS = ("ics", "txt", "html")


def parse_formats(value: str | Iterable[str]) -> tuple[str, ...]:
    """'ics,txt' or ['ics', 'html'] -> the formats in canonical order; ValueError names an unknown one."""
    items = value.split(",") if isinstance(value, str) else list(value)
    wanted = {item.strip().lower() for item in items if item.strip()}
    unknown = sorted(wanted - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown format {', '.join(unknown)} (choose from {', '.join(FORMATS)})")
    if not wanted:
        raise ValueError(f"no format given (choose from {', '.join(FORMATS)})")
    return tuple(f for f in FORMATS if f in wanted)
