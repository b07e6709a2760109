"""Ask before deleting or ending anything: y confirms, n or Escape refuses (the safe answer has the focus)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question. The result is True only when the user says yes.

    ``app.push_screen(ConfirmScreen("End Dr Lee's membership?", "She stays in the history."), callback)``
    """

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
    }
    ConfirmScreen > #confirm-dialog {
        width: 70;
        max-width: 96%;
        height: auto;
        border: round $warning;
        border-title-style: bold;
        background: $surface;
        padding: 1 2;
    }
    ConfirmScreen #confirm-question {
        text-style: bold;
    }
    ConfirmScreen #confirm-detail {
        color: $text-muted;
        margin-top: 1;
    }
    ConfirmScreen #confirm-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ConfirmScreen #confirm-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", key_display="Esc", show=False),
    ]
    AUTO_FOCUS = "#confirm-no"

    def __init__(self, question: str, detail: str = "", *, yes_label: str = "Yes", no_label: str = "No") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes_label = yes_label
        self.no_label = no_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog") as dialog:
            dialog.border_title = "Please confirm"
            yield Static(f"? {self.question}", id="confirm-question")
            if self.detail:
                yield Static(self.detail, id="confirm-detail")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes_label} (y)", id="confirm-yes", variant="warning", compact=True)
                yield Button(f"{self.no_label} (n)", id="confirm-no", variant="primary", compact=True)
        yield Footer()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def _no(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)
