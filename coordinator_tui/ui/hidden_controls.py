"""What the app draws never holds a raw control character or bidirectional control.

Text from the database is drawn as it is: a name that holds an escape sequence (``ESC ] 0 ; … BEL`` sets the
window title, ``ESC [ 41 m`` paints the rest of the line red) would be obeyed by the terminal, and a right-to-left
override would reverse what follows. Validation refuses them on input; records saved before, or by another program,
may still hold them. ``HiddenControlFilter`` removes them from every line the app draws, after layout: each is
zero cells wide, so nothing moves. Lists that show names (``RowTable``) show them visibly first
(``terminal_text.visible``), so the coordinator can see that a name holds one.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from coordinator_tui.terminal_text import HIDDEN


class HiddenControlFilter(LineFilter):
    """A Textual line filter dropping control characters and bidirectional controls from drawn text."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not any(HIDDEN.search(segment.text) for segment in segments):
            return segments
        return [
            segment if segment.control else Segment(HIDDEN.sub("", segment.text), segment.style) for segment in segments
        ]
