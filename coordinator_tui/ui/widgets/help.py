"""The help screen: every key binding of the current screen, generated from the bindings themselves.

A widget may add a line of its own under the help's introduction with a ``help_note`` property (the Transition
tab: the milestone rules' clinical sign-off), for the focused widget and the widgets holding it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.widgets import Footer, Input, Static, TabbedContent, Tabs, TextArea

from coordinator_tui.ui.widgets.data_table import DataTable


@dataclass(frozen=True)
class HelpEntry:
    section: str
    keys: str
    description: str
    available: bool = True


#: What a widget without a ``HELP_TITLE`` is called in the help, by the kind of widget it is (never its class name).
KIND_TITLES: tuple[tuple[type[DOMNode], str], ...] = (
    (DataTable, "List"),
    (Input, "Text box"),
    (TextArea, "Text box"),
    (Tabs, "Tabs"),
    (TabbedContent, "Tabs"),
    (ScrollView, "List"),
)


def _section_name(node: DOMNode, screen: Screen[object]) -> str:
    if node is screen.app:
        return "Everywhere"
    if node is screen:
        return getattr(screen, "screen_title", None) or screen.sub_title or "This screen"
    help_title = getattr(node, "HELP_TITLE", None)
    if help_title:
        return str(help_title)
    return next((title for kind, title in KIND_TITLES if isinstance(node, kind)), "This part of the screen")


def _description(binding: Binding) -> str:
    if binding.description:
        return binding.description
    if binding.tooltip:
        return binding.tooltip
    return binding.action.split("(")[0].replace("_", " ").capitalize()


def collect_bindings(screen: Screen[object]) -> list[HelpEntry]:
    """The bindings that apply on ``screen``: the focused widget and its containers, the screen, the app.

    Keys a focused text input would capture are still listed (marked as needing the focus elsewhere), so the
    help always lists every key of the screen.
    """
    app = screen.app
    focused = screen.focused
    nodes: list[DOMNode] = list(focused.ancestors_with_self) if focused is not None else [screen, app]
    if screen not in nodes:
        nodes.append(screen)
    if not screen.is_modal and app not in nodes:
        nodes.append(app)
    if screen.is_modal:
        # Nothing below a modal screen applies while it is open.
        nodes = nodes[: nodes.index(screen) + 1]
    # The screen's own keys first, then the keys that work everywhere, then those of the focused widget.
    order = [n for n in nodes if n is screen or n is app] + [n for n in nodes if n is not screen and n is not app]
    entries: list[HelpEntry] = []
    shadowed: set[str] = set()
    shadowed_at: dict[DOMNode, set[str]] = {}  # the keys bound nearer the focus than each node
    for node in nodes:  # a key bound nearer the focus shadows the same key further out
        shadowed_at[node] = set(shadowed)
        shadowed.update(node._bindings.key_to_bindings)
    for node in order:
        grouped: dict[str, list[Binding]] = {}
        # _bindings holds the node's merged bindings (its class and base classes), keymap applied.
        for key, bindings in node._bindings.key_to_bindings.items():
            if key in shadowed_at[node]:
                continue
            for binding in bindings:
                grouped.setdefault(binding.action, []).append(binding)
        for action, bindings in grouped.items():
            state = app._check_action_state(action, node)
            keys = " / ".join(dict.fromkeys(app.get_key_display(b) for b in bindings))
            description = _description(bindings[0])
            if focused is not None and focused is not node:
                typed = [b for b in bindings if focused.check_consume_key(b.key, _character(b.key))]
                if typed and len(typed) == len(bindings):
                    description += " (when not typing)"
                elif typed:
                    description += f" ({', '.join(app.get_key_display(b) for b in typed)} not while typing)"
            entries.append(
                HelpEntry(
                    section=_section_name(node, screen),
                    keys=keys,
                    description=description,
                    available=bool(state),
                )
            )
    # Other widgets of the screen that have keys of their own (a list while the filter box has the focus).
    for widget in screen.focus_chain:
        title = getattr(widget, "HELP_TITLE", None)
        if not title or widget in nodes:
            continue
        for bindings in _grouped(widget).values():
            keys = " / ".join(dict.fromkeys(app.get_key_display(b) for b in bindings))
            entries.append(HelpEntry(f"{title} (after Tab)", keys, _description(bindings[0])))
    return entries


def help_notes(screen: Screen[object]) -> tuple[str, ...]:
    """The ``help_note`` of the focused widget and the widgets holding it (innermost first), those not empty."""
    focused = screen.focused
    nodes = list(focused.ancestors_with_self) if focused is not None else []
    return tuple(note for node in nodes if (note := str(getattr(node, "help_note", "") or "")))


def _grouped(node: DOMNode) -> dict[str, list[Binding]]:
    grouped: dict[str, list[Binding]] = {}
    for bindings in node._bindings.key_to_bindings.values():
        for binding in bindings:
            grouped.setdefault(binding.action, []).append(binding)
    return grouped


def _character(key: str) -> str | None:
    from textual.keys import key_to_character

    return key_to_character(key)


class HelpScreen(ModalScreen[None]):
    """Lists the keys of the screen it was opened over."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > #help-dialog {
        width: 96%;
        max-width: 100;
        height: 96%;
        border: round $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen #help-intro {
        color: $text-muted;
    }
    HelpScreen #help-notes {
        text-style: bold;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", key_display="Esc"),
        Binding("f1", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, title: str, entries: list[HelpEntry], notes: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.help_title = title
        self.entries = entries
        self.notes = notes

    @classmethod
    def for_screen(cls, screen: Screen[object]) -> HelpScreen:
        title = getattr(screen, "screen_title", None) or screen.sub_title or "This screen"
        return cls(str(title), collect_bindings(screen), help_notes(screen))

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog") as dialog:
            dialog.border_title = f"Keys: {self.help_title}"
            yield Static(
                "Every key that works here, from the screen's own bindings. "
                "Esc closes; ctrl+p finds patients, professionals and clinics by name.",
                id="help-intro",
            )
            if self.notes:
                yield Static("\n".join(self.notes), id="help-notes")
            with VerticalScroll(id="help-scroll"):
                yield Static(self.render_table(), id="help-table")
        yield Footer()

    def render_table(self) -> Table:
        table = Table(expand=True, show_edge=False, pad_edge=False, box=None, show_header=False)
        table.add_column("Key", no_wrap=True, style="bold")
        table.add_column("Does", ratio=1)
        section = None
        for entry in self.entries:
            if entry.section != section:
                if section is not None:
                    table.add_row(Text(""), Text(""))
                section = entry.section
                table.add_row(Text(f"── {section} ──", style="bold underline"), Text(""))
            description = entry.description if entry.available else f"{entry.description} (not available now)"
            table.add_row(entry.keys, description)
        return table

    def text(self) -> str:
        """The help as plain text (tests)."""
        return "\n".join(f"{e.section}\t{e.keys}\t{e.description}" for e in self.entries)
