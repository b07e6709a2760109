"""Itinerary renderers (.ics, plain text, HTML) and atomic file writing; ``export_itineraries`` is the entry point.

See ``coordinator_tui.export.service`` for the signature the app and the command line use. The names below are
loaded on first use, so importing a light submodule (``export.formats``) does not load the renderers.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "ExportError": "coordinator_tui.export.atomic",
    "FORMATS": "coordinator_tui.export.formats",
    "parse_formats": "coordinator_tui.export.formats",
    "export_itineraries": "coordinator_tui.export.service",
    "preview_itineraries": "coordinator_tui.export.service",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(name)
    return getattr(importlib.import_module(_WHERE[name]), name)
