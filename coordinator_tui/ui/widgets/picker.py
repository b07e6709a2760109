"""Choose one record from many (a professional, a patient): type to filter, ↑↓ to move, Enter picks, Esc cancels.

``PickerScreen(title, search)`` where ``search(database, text)`` is a use case returning ``[(key, label), …]``; it
runs in a worker thread on every keystroke. The screen's result is the chosen key, or None.

Enter chooses among the matches of what was typed: pressed before they are shown (typed faster than the search
answers), it waits for them, never choosing from a list for earlier text. Keys act in the order typed
(``ui/key_order.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from coordinator_tui.ui.background import RunsUseCases
from coordinator_tui.ui.key_order import KeysInOrder

if TYPE_CHECKING:
    from coordinator_tui.db import Database

SearchFunction = Callable[["Database", str], Sequence[tuple[str, str]]]


class PickerInput(Input):
    HELP_TITLE = "Search box"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "screen.move(1)", "Next", show=False),
        Binding("up", "screen.move(-1)", "Previous", show=False),
        Binding("enter", "screen.pick", "Choose", key_display="Enter"),
    ]


class PickerScreen(KeysInOrder, ModalScreen[str | None], RunsUseCases):
    DEFAULT_CSS = """
    PickerScreen {
        align: center middle;
    }
    PickerScreen > #picker-dialog {
        width: 96%;
        max-width: 100;
        height: 90%;
        border: round $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    PickerScreen #picker-input {
        background: $boost;
        margin-bottom: 1;
    }
    PickerScreen OptionList {
        height: 1fr;
    }
    PickerScreen #picker-count {
        color: $text-muted;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", key_display="Esc"),
    ]

    def __init__(
        self,
        title: str,
        search: SearchFunction,
        *,
        placeholder: str = "type part of a name",
        none_at_all: str = "nothing to choose from",
    ) -> None:
        super().__init__()
        self.picker_title = title
        self.search = search
        self.placeholder = placeholder
        self.none_at_all = none_at_all  # said when nothing is found with nothing typed: what to do instead
        self.text = ""
        self.shown_for: str | None = None  # the text whose matches the list shows
        self._pick_when_shown = False

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog") as dialog:
            dialog.border_title = self.picker_title
            yield PickerInput(placeholder=self.placeholder, id="picker-input", compact=True)
            yield OptionList(id="picker-options")
            yield Static("", id="picker-count")
        yield Footer()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#picker-input", Input))  # at once: the keys typed next must find it
        self.find("")

    def find(self, text: str) -> None:
        """Search for ``text`` off the UI thread; a newer search cancels this one."""

        def search(database: Database) -> list[tuple[str, str]]:
            return list(self.search(database, text))

        self.run_use_case(search, partial(self.show, text), failed="Search failed", group="picker", exclusive=True)

    def show(self, text: str, found: list[tuple[str, str]]) -> None:
        if text != self.text:
            return
        options = self.query_one("#picker-options", OptionList)
        options.clear_options()
        options.add_options([Option(label, id=key) for key, label in found])
        if found:
            options.highlighted = 0
        nothing = "nothing matches" if text.strip() else self.none_at_all
        self.query_one("#picker-count", Static).update(f"{len(found)} found" if found else nothing)
        self.shown_for = text
        if self._pick_when_shown:
            self._pick_when_shown = False
            self.action_pick()

    @on(Input.Changed, "#picker-input")
    def _changed(self, event: Input.Changed) -> None:
        self.text = event.value
        self.find(event.value)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one("#picker-options", OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def action_pick(self) -> None:
        if self.shown_for != self.query_one("#picker-input", Input).value:
            self._pick_when_shown = True  # the list is still for earlier text: choose once the matches are shown
            return
        options = self.query_one("#picker-options", OptionList)
        if options.highlighted is None or not options.option_count:
            self.notify("Nothing to choose: type part of a name.", severity="warning")
            return
        self.dismiss(options.get_option_at_index(options.highlighted).id)

    def action_cancel(self) -> None:
        self.dismiss(None)
