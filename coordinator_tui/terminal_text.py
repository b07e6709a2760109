"""Text bound for a terminal, with what could control or deceive the terminal shown visibly instead.

A name, a path or an argument can hold an escape sequence (ESC, or C1's CSI), which a terminal would obey (move the
cursor, rewrite the screen, set the window title), or a bidirectional control, which reorders the text after it.
The commands print everything through ``terminal_safe_output``: such characters come out as ``\\x1b`` or
``<U+202E>``, line breaks stay line breaks. ``json_safe`` does the same for JSON without changing the data.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections.abc import Iterator
from typing import TextIO

from coordinator_tui.validation import UNSAFE_TEXT

# What a field refuses (validation.UNSAFE_TEXT), and lone surrogates (bytes that were not UTF-8, e.g. in a path).
HIDDEN = re.compile(f"{UNSAFE_TEXT.pattern}|[\\ud800-\\udfff]")
_SHORT = {"\t": "\\t", "\r": "\\r", "\n": "\\n"}


def _shown(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if ch in _SHORT:
        return _SHORT[ch]
    if code < 0x100:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return f"<U+{code:04X}>"


def visible(text: str, *, keep_line_breaks: bool = False) -> str:
    """``text`` with control characters as ``\\x1b`` and bidirectional controls as ``<U+202E>``."""
    if keep_line_breaks:
        return "\n".join(HIDDEN.sub(_shown, line) for line in text.split("\n"))
    return HIDDEN.sub(_shown, text)


def json_safe(text: str) -> str:
    """JSON text with the same characters written as ``\\uXXXX`` escapes: the same data once parsed."""
    return HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class VisibleWriter(io.TextIOBase):
    """A text stream that writes what it is given through ``visible`` (line breaks kept) to ``stream``."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(visible(text, keep_line_breaks=True))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.stream.encoding


@contextlib.contextmanager
def terminal_safe_output() -> Iterator[None]:
    """While inside, everything printed to standard output and standard error goes through ``VisibleWriter``."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = VisibleWriter(sys.stdout), VisibleWriter(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        sys.stdout, sys.stderr = saved
