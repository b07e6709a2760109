"""The itinerary formats (kept apart from the renderers so the command line loads them cheaply).

``eml`` is an unsent email draft per family (``export.eml``): the itinerary as text and HTML with the calendar file
attached, for the coordinator to check and send from their own mail program. It is not written unless asked for.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMATS = ("ics", "txt", "html", "eml")
#: What an export writes when no format is named (the email draft only when asked for).
DEFAULT_FORMATS = ("ics", "txt", "html")


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
