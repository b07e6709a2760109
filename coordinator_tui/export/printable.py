"""Itineraries for people, not calendar apps: plain text, and a self-contained HTML page.

Both carry the same content as the .ics file plus the breaks, in the same plain language: each appointment by its
family-facing name ("Eye clinic (ophthalmology)", "Meeting with your care team"), whom to call if the family is
running late or cannot come, what to bring, and the fasting instructions only while a fasting appointment is still
on. A cancelled item is shown as cancelled, with nothing to do for it (no instructions, nothing to bring). The
HTML page has no external assets (styles are inline, a Content-Security-Policy forbids loading anything), declares
``lang="en-GB"``, uses one ``<h1>``, an ``<h2>`` for what to bring and per day and an ``<h3>`` per item, and
escapes every piece of text. The large-print version uses 20 pt text (at least 18 pt), black on white, one
appointment per bordered block kept whole across printed pages. Nothing is shown by colour alone: a cancelled
appointment says "Cancelled" in words as well as being struck through.
"""

from __future__ import annotations

import html

from coordinator_tui.export.ics import clean_text
from coordinator_tui.services.itineraries.itinerary import (
    CARE_TEAM_MEETING_TEXT,
    ItemKind,
    Itinerary,
    ItineraryItem,
    format_date_range,
    format_long_date,
)

INDENT = " " * 15


def _hm(item: ItineraryItem) -> str:
    if item.start is None or item.end is None:
        return ""
    if item.end > item.start:
        return f"{item.start:%H:%M} – {item.end:%H:%M}"
    return f"{item.start:%H:%M}"


def _people(names: tuple[str, ...]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def item_heading(item: ItineraryItem) -> str:
    if item.kind in (ItemKind.HOTEL_CHECK_IN, ItemKind.HOTEL_CHECK_OUT):
        heading = f"{item.title}: {item.place}"
    elif item.kind in (ItemKind.TRAVEL_OUT, ItemKind.TRAVEL_HOME) and item.mode:
        heading = f"{item.title} ({item.mode})"
    else:
        heading = item.title
    if item.cancelled:
        heading = f"CANCELLED: {heading}"
    elif item.tentative:
        heading = f"{heading} (to be confirmed)"
    return heading


def item_details(item: ItineraryItem) -> list[tuple[str, str]]:
    """(label, text) pairs shown under an item's heading, in reading order."""
    details: list[tuple[str, str]] = []
    if item.cancelled:
        details.append(("Cancelled", "This will not take place."))
    if item.kind is ItemKind.APPOINTMENT:
        details.append(("How long", f"{item.minutes} minutes"))
        if item.care_team_meeting:
            details.append(("What", CARE_TEAM_MEETING_TEXT))
        if item.professionals:
            details.append(("With", _people(item.professionals)))
        if item.location:
            details.append(("Where", item.location))
        if item.live:  # a cancelled appointment leaves nothing to do
            if item.fasting:
                details.append(("Fasting", "Please follow the fasting instructions before this appointment."))
            if item.instructions:
                details.append(("Please note", item.instructions))
    elif item.kind in (ItemKind.TRAVEL_OUT, ItemKind.TRAVEL_HOME):
        if item.start is not None:
            details.append(("Depart", f"{item.start:%H:%M}"))
        if item.start is not None and item.end is not None and item.end > item.start:
            details.append(("Arrive", f"{item.end:%H:%M}"))
        if item.reference:
            details.append(("Booking reference", item.reference))
    elif item.kind in (ItemKind.HOTEL_CHECK_IN, ItemKind.HOTEL_CHECK_OUT):
        if item.start is not None:
            if item.kind is ItemKind.HOTEL_CHECK_IN:
                details.append(("Check in from", f"{item.start:%H:%M}"))
            else:
                details.append(("Check out by", f"{item.start:%H:%M}"))
        if item.address:
            details.append(("Address", item.address))
        if item.phone:
            details.append(("Phone", item.phone))
        if item.reference:
            details.append(("Booking reference", item.reference))
    elif item.kind in (ItemKind.BREAK, ItemKind.LUNCH):
        details.append(("How long", f"{item.minutes} minutes"))
    return [(label, clean_text(text)) for label, text in details]


def _intro(itinerary: Itinerary) -> list[tuple[str, str]]:
    rows = [("Clinic", itinerary.clinic_name), ("Dates", format_date_range(itinerary.start_date, itinerary.end_date))]
    if itinerary.venue:
        rows.append(("Where", itinerary.venue))
    if itinerary.clinic_cancelled:
        rows.append(("Cancelled", "This clinic has been cancelled: the visit will not take place."))
    fasting = itinerary.fasting_appointment
    if fasting is not None and fasting.start is not None:
        when = f"{fasting.start:%H:%M} on {format_long_date(fasting.day)}"
        rows.append(("Fasting", f"Please follow the fasting instructions for the {fasting.title} at {when}."))
    if itinerary.instructions:
        rows.append(("Please note", itinerary.instructions))
    return [(label, clean_text(text)) for label, text in rows]


def what_to_bring(itinerary: Itinerary) -> list[str]:
    """The things to bring, one a line (none for a visit that is cancelled or has no appointment still on)."""
    if itinerary.clinic_cancelled or itinerary.first_appointment is None:
        return []
    return [clean_text(thing) for thing in itinerary.what_to_bring]


# ------------------------------------------------------------------------------------------------------------
# Plain text
# ------------------------------------------------------------------------------------------------------------


def _text_block(label: str, text: str) -> list[str]:
    lines = text.split("\n")
    out = [f"{INDENT}{label}: {lines[0]}"]
    out.extend(f"{INDENT}  {line}" for line in lines[1:])
    return out


def render_text(itinerary: Itinerary) -> str:
    """A plain-text itinerary (UTF-8, LF line ends), for email bodies, screen readers and posting."""
    name = clean_text(f"{itinerary.given_name} {itinerary.family_name}")
    out = [f"Itinerary for {name}", ""]
    for label, text in _intro(itinerary):
        first, *rest = text.split("\n")
        out.append(f"{label}: {first}")
        out.extend(f"  {line}" for line in rest)
    if itinerary.service_for_families:
        out.append(f"From: {clean_text(itinerary.service_for_families)}")
    if itinerary.running_late:
        out += ["", clean_text(itinerary.running_late)]
    things = what_to_bring(itinerary)
    if things:
        out += ["", "WHAT TO BRING", "=" * len("WHAT TO BRING"), *(f"- {thing}" for thing in things)]
    if not itinerary.items:
        out += ["", "No appointments have been booked yet."]
    for day, items in itinerary.days:
        heading = format_long_date(day).upper()
        out += ["", heading, "=" * len(heading)]
        for item in items:
            when = _hm(item) or "(all day)"
            out.append("")
            out.append(f"{when:<15}{clean_text(item_heading(item))}".rstrip())
            for label, text in item_details(item):
                out.extend(_text_block(label, text))
    out += [
        "",
        "Times are UK local time on the day (clock changes included)."
        if itinerary.timezone == "Europe/London"
        else f"Times are local time ({itinerary.timezone}).",
        "",
    ]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------------------
# HTML
# ------------------------------------------------------------------------------------------------------------

_BASE_CSS = """
html { background: #fff; color: #000; }
body { font-family: Arial, Helvetica, "Liberation Sans", sans-serif; font-size: 12pt; line-height: 1.5;
       margin: 1.5em auto; max-width: 48em; padding: 0 1em; }
h1 { font-size: 1.8em; margin: 0 0 0.5em; }
h2 { font-size: 1.4em; margin: 1.5em 0 0.5em; border-bottom: 3px solid #000; }
h3 { font-size: 1.15em; margin: 0 0 0.3em; }
dl { margin: 0; }
dt { font-weight: bold; display: inline; }
dt::after { content: ": "; }
dd { display: inline; margin: 0; }
dd::after { content: ""; display: block; }
ol.items { list-style: none; margin: 0; padding: 0; }
li.item { border: 2px solid #000; border-radius: 4px; margin: 0 0 0.75em; padding: 0.5em 0.75em;
          break-inside: avoid; page-break-inside: avoid; }
li.break { border-style: dashed; }
li.cancelled h3 .what { text-decoration: line-through; }
.label { font-weight: bold; text-transform: uppercase; }
.intro { margin-bottom: 1em; }
p.call { border: 2px solid #000; padding: 0.5em 0.75em; }
ul.bring { margin: 0 0 1em; }
footer { margin-top: 2em; font-size: 0.9em; }
@media print { body { margin: 0; max-width: none; } }
"""

_LARGE_CSS = """
body { font-size: 20pt; line-height: 1.6; max-width: 40em; }
h1 { font-size: 1.6em; }
h2 { font-size: 1.3em; border-bottom-width: 4px; }
h3 { font-size: 1.1em; }
li.item { border-width: 3px; margin-bottom: 1em; padding: 0.6em 0.8em; }
"""


def _e(text: str) -> str:
    """Escape for HTML text or attribute; newlines become <br>."""
    return html.escape(clean_text(text), quote=True).replace("\n", "<br>\n")


def _details_html(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return ""
    rows = "".join(f"<dt>{_e(label)}</dt><dd>{_e(text)}</dd>" for label, text in pairs)
    return f"<dl>{rows}</dl>"


def _time_html(item: ItineraryItem) -> str:
    if item.start is None or item.end is None:
        return ""
    start = f'<time datetime="{item.start.isoformat()}">{item.start:%H:%M}</time>'
    if item.end > item.start:
        return f'{start} to <time datetime="{item.end.isoformat()}">{item.end:%H:%M}</time> '
    return f"{start} "


def _item_html(item: ItineraryItem) -> str:
    classes = ["item", item.kind.value]
    if item.kind is ItemKind.LUNCH:
        classes.append("break")
    if item.cancelled:
        classes.append("cancelled")
    heading = item_heading(item)
    label = ""
    if item.cancelled:
        heading = heading.removeprefix("CANCELLED: ")
        label = '<span class="label">Cancelled:</span> '
    return (
        f'<li class="{" ".join(classes)}"><h3>{_time_html(item)}{label}<span class="what">{_e(heading)}</span></h3>'
        f"{_details_html(item_details(item))}</li>"
    )


def render_html(itinerary: Itinerary, *, large_print: bool = False) -> str:
    """A self-contained HTML page (UTF-8). ``large_print`` gives 20 pt text; so does the patient's recorded need."""
    large = large_print or itinerary.large_print
    name = f"{itinerary.given_name} {itinerary.family_name}"
    css = _BASE_CSS + (_LARGE_CSS if large else "")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(itinerary.title)}</title>",
        f"<style>{css}</style>",
        "</head>",
        f'<body class="{"large-print" if large else "standard-print"}">',
        "<main>",
        f"<h1>Itinerary for {_e(name)}</h1>",
        f'<div class="intro">{_details_html(_intro(itinerary))}</div>',
    ]
    if itinerary.running_late:
        parts.append(f'<p class="call"><strong>{_e(itinerary.running_late)}</strong></p>')
    things = what_to_bring(itinerary)
    if things:
        parts.append('<section aria-labelledby="bring"><h2 id="bring">What to bring</h2><ul class="bring">')
        parts.extend(f"<li>{_e(thing)}</li>" for thing in things)
        parts.append("</ul></section>")
    if not itinerary.items:
        parts.append("<p>No appointments have been booked yet.</p>")
    for day, items in itinerary.days:
        day_id = f"day-{day.isoformat()}"
        parts.append(f'<section aria-labelledby="{day_id}"><h2 id="{day_id}">{_e(format_long_date(day))}</h2>')
        parts.append('<ol class="items" role="list">')  # role: list-style none hides lists from some readers
        parts.extend(_item_html(item) for item in items)
        parts.append("</ol></section>")
    zone_note = (
        "Times are UK local time on the day (clock changes included)."
        if itinerary.timezone == "Europe/London"
        else f"Times are local time ({itinerary.timezone})."
    )
    service = itinerary.service_for_families
    footer = _e(zone_note) + (f"<br>\nFrom: {_e(service)}" if service else "")
    parts += ["</main>", f"<footer><p>{footer}</p></footer>", "</body>", "</html>", ""]
    return "\n".join(parts)
