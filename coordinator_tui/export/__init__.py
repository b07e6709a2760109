"""Itinerary renderers (.ics, plain text, HTML) and atomic file writing; ``export_itineraries`` is the entry point.

See ``coordinator_tui.export.service`` for the signature the app and the command line use.
"""

from coordinator_tui.export.atomic import ExportError
from coordinator_tui.export.service import FORMATS, export_itineraries, parse_formats, preview_itineraries

__all__ = ["FORMATS", "ExportError", "export_itineraries", "parse_formats", "preview_itineraries"]
