"""A reusable modal form: labelled inputs, inline validation messages from the domain, Enter saves, Escape cancels.

Build one from ``FormField`` descriptions and a save use case, a function of the ``Database`` and the values
(from ``services/``, it opens its own unit of work)::

    app.push_screen(FormScreen("New patient", fields, save_new_patient), callback=on_saved)

The use case runs in a worker thread (a busy database never freezes the screen). It receives the raw values
(text fields as ``str``, flags as ``bool``, choices as the chosen value ``str``). What it raises decides what
happens:

- ``ValidationError`` / ``FieldError``: each message is shown under its input (messages for fields the form does
  not have go to the top), the form stays open with everything typed kept;
- ``ConcurrentEditError``, ``DatabaseBusyError`` and other ``DatabaseError`` / ``NotFoundError``: the message is
  shown at the top, the form stays open;
- anything else is a bug and propagates.

On success the form closes and the screen's result is whatever the use case returned.

What is saved is what the fields show when Enter is acted on: the form acts on the keys typed while it is in
front one at a time, in the order they were typed (``ui/key_order.py``), and Enter in a text box saves at once
rather than through a message that keys typed after it could overtake. Every text field has a ``max_length``
(``field_limits``): typing stops there, and a paste is cut there, with a note under the field. Escape on a form
whose fields were changed asks before throwing the changes away; the safe answer keeps the form as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static, TextArea
from textual.widgets.text_area import Edit, EditResult

from coordinator_tui.errors import DatabaseError
from coordinator_tui.services.errors import ConcurrentEditError, NotFoundError
from coordinator_tui.ui.background import RunsUseCases
from coordinator_tui.ui.key_order import KeysInOrder
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.validation import FieldError, ValidationError

if TYPE_CHECKING:
    from coordinator_tui.db import Database

T = TypeVar("T")
SaveUseCase = Callable[["Database", dict[str, Any]], T]
FieldKind = Literal["text", "flag", "choice", "multiline", "heading"]

#: Errors a save use case may raise that the form shows as a message at its top (the form stays open).
SHOWN_ERRORS: tuple[type[BaseException], ...] = (ConcurrentEditError, DatabaseError, NotFoundError)


@dataclass(frozen=True)
class FormField:
    """One input of a form. ``name`` is the key the domain's parse functions and ValidationError use."""

    name: str
    label: str
    value: str | bool = ""
    kind: FieldKind = "text"
    choices: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (label, value) for "choice"
    required: bool = False
    placeholder: str = ""
    password: bool = False
    max_length: int = 0  # text and multiline fields: the most characters the field holds (see field_limits)

    def __post_init__(self) -> None:
        if self.kind in ("text", "multiline") and self.max_length <= 0:
            raise ValueError(f"form field {self.name!r} needs a max_length (see ui/field_limits.py)")

    @classmethod
    def heading(cls, text: str) -> FormField:
        """A section title inside a long form (not an input)."""
        return cls(name=f"_heading_{text}", label=text, kind="heading")


class FormCheckbox(Checkbox, inherit_bindings=False):
    """A checkbox toggled by Space only, so Enter still saves the form."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "toggle_button", "Toggle", show=False)]


class LimitReached(Message):
    """A text field stopped typing or cut a paste at its limit (the form says so under the field)."""

    def __init__(self, field: Widget, limit: int) -> None:
        super().__init__()
        self.field = field
        self.limit = limit


class FormInput(Input):
    """A form's text box: a paste longer than the room left is cut at the limit (an Input refuses it whole), and
    Enter saves the form at once, with what every field shows now."""

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()  # Input's own paste handler would insert the paste whole, or refuse it whole
        if not event.text:
            return
        text = event.text.splitlines()[0]
        start, end = sorted(self.selection)
        room = self.max_length - (len(self.value) - (end - start)) if self.max_length else len(text)
        if len(text) > room:
            text = text[: max(room, 0)]
            self.post_message(LimitReached(self, self.max_length))
        self.replace(text, start, end)

    def restricted(self) -> None:  # a character typed at the limit
        super().restricted()
        self.post_message(LimitReached(self, self.max_length))

    async def action_submit(self) -> None:
        # Input would post Submitted, which reaches the form only after keys typed behind Enter have acted.
        await self.run_action("screen.save")


class FormTextArea(TextArea):
    """A form's multi-line text: what is typed or pasted stops at ``max_length`` characters."""

    def __init__(self, text: str, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(text, **kwargs)
        self.max_length = max_length

    def edit(self, edit: Edit) -> EditResult:
        start, end = sorted((edit.from_location, edit.to_location))
        room = self.max_length - (len(self.text) - len(self.get_text_range(start, end)))
        if len(edit.text) > room:
            edit = Edit(edit.text[: max(room, 0)], edit.from_location, edit.to_location, edit.maintain_selection_offset)
            self.post_message(LimitReached(self, self.max_length))
        return super().edit(edit)


@dataclass(frozen=True)
class _Refused:
    """A save refused with an error the form shows (under the fields or at its top)."""

    error: BaseException


class FormScreen(KeysInOrder, ModalScreen[T | None], RunsUseCases, Generic[T]):
    """A modal form. The result is the save use case's return value, or None when cancelled."""

    DEFAULT_CSS = """
    FormScreen {
        align: center middle;
    }
    FormScreen > #form-dialog {
        width: 96%;
        max-width: 110;
        height: auto;
        max-height: 100%;
        border: round $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    FormScreen #form-description {
        color: $text-muted;
        margin-bottom: 1;
    }
    FormScreen #form-message {
        display: none;
        color: $text-error;
        background: $error-muted;
        text-style: bold;
        padding: 0 1;
    }
    FormScreen #form-message.-shown {
        display: block;
    }
    FormScreen #form-fields {
        height: auto;
        max-height: 16;
    }
    FormScreen .form-heading {
        text-style: bold underline;
        margin-top: 1;
    }
    FormScreen .form-row {
        height: auto;
    }
    FormScreen .form-label {
        width: 26;
        padding-right: 1;
        text-align: right;
    }
    FormScreen .form-row Input, FormScreen .form-row Select {
        width: 1fr;
    }
    FormScreen .form-row TextArea {
        width: 1fr;
        height: 3;
    }
    FormScreen .form-row Checkbox {
        width: auto;
        border: none;
        padding: 0;
    }
    FormScreen .form-error {
        display: none;
        margin-left: 26;
        color: $text-error;
        text-style: bold;
    }
    FormScreen .form-error.-shown {
        display: block;
    }
    FormScreen #form-buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    FormScreen #form-buttons Button {
        margin-left: 2;
    }
    FormScreen #form-status {
        width: 1fr;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "save", "Save", key_display="Enter"),
        Binding("ctrl+s", "save", "Save", show=False),
        Binding("escape", "cancel", "Cancel", key_display="Esc"),
    ]

    def __init__(
        self,
        title: str,
        fields: Sequence[FormField],
        on_save: SaveUseCase[T],
        *,
        description: str = "",
        save_label: str = "Save",
    ) -> None:
        super().__init__()
        self.form_title = title
        self.fields = [f for f in fields]
        self.on_save = on_save
        self.description = description
        self.save_label = save_label
        self.saving = False
        self._shown_at_start: dict[str, Any] = {}

    # ---------------------------------------------------------------------------------------------------------
    # Layout
    # ---------------------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="form-dialog") as dialog:
            dialog.border_title = self.form_title
            if self.description:
                yield Static(self.description, id="form-description")
            yield Static("", id="form-message")
            with VerticalScroll(id="form-fields", can_focus=False):
                for spec in self.fields:
                    yield from self._compose_field(spec)
            with Horizontal(id="form-buttons"):
                yield Static("Enter saves · Esc cancels", id="form-status")
                # For the mouse: Tab goes round the fields only (a button with the focus would take Enter, and its
                # message would reach the form behind keys typed after it).
                save = Button(f"{self.save_label} (Enter)", id="form-save", variant="primary", compact=True)
                cancel = Button("Cancel (Esc)", id="form-cancel", compact=True)
                save.can_focus = cancel.can_focus = False
                yield save
                yield cancel
        yield Footer()

    def _compose_field(self, spec: FormField) -> ComposeResult:
        if spec.kind == "heading":
            yield Label(spec.label, classes="form-heading")
            return
        label = f"{spec.label} *" if spec.required else spec.label
        with Horizontal(classes="form-row"):
            yield Label(label, classes="form-label", id=f"label-{spec.name}")
            yield self._make_input(spec)
        yield Static("", classes="form-error", id=f"error-{spec.name}")

    def _make_input(self, spec: FormField) -> Widget:
        widget_id = f"field-{spec.name}"
        if spec.kind == "flag":
            return FormCheckbox("yes", bool(spec.value), id=widget_id, compact=True)
        if spec.kind == "choice":
            options = [(label, value) for label, value in spec.choices]
            values = {value for _label, value in options}
            current = str(spec.value) if str(spec.value) in values else (options[0][1] if options else Select.BLANK)
            return Select(options, value=current, allow_blank=False, id=widget_id, compact=True)
        if spec.kind == "multiline":
            return FormTextArea(
                str(spec.value),
                max_length=spec.max_length,
                id=widget_id,
                soft_wrap=True,
                show_line_numbers=False,
                compact=True,
                placeholder=spec.placeholder,
            )
        return FormInput(
            str(spec.value),
            placeholder=spec.placeholder,
            id=widget_id,
            compact=True,
            password=spec.password,
            max_length=spec.max_length,
        )

    def on_mount(self) -> None:
        self._shown_at_start = self.values()
        first = next((spec for spec in self.fields if spec.kind != "heading"), None)
        if first is not None:
            # At once (Widget.focus waits for the app's queue): the keys typed next must find the first field.
            self.set_focus(self.input_for(first.name))

    # ---------------------------------------------------------------------------------------------------------
    # Values and messages
    # ---------------------------------------------------------------------------------------------------------

    def input_for(self, name: str) -> Widget:
        return self.query_one(f"#field-{name}")

    def values(self) -> dict[str, Any]:
        """What the form holds now: text as typed, flags as bool, choices as their value."""
        result: dict[str, Any] = {}
        for spec in self.fields:
            if spec.kind == "heading":
                continue
            widget = self.input_for(spec.name)
            if isinstance(widget, Checkbox):
                result[spec.name] = widget.value
            elif isinstance(widget, Select):
                result[spec.name] = "" if widget.value is Select.BLANK else str(widget.value)
            elif isinstance(widget, TextArea):
                result[spec.name] = widget.text
            elif isinstance(widget, Input):
                result[spec.name] = widget.value
        return result

    @property
    def field_errors(self) -> dict[str, str]:
        """The messages shown under inputs now (for tests and screen readers of the code)."""
        shown: dict[str, str] = {}
        for spec in self.fields:
            if spec.kind == "heading":
                continue
            error = self.query_one(f"#error-{spec.name}", Static)
            if error.has_class("-shown"):
                shown[spec.name] = str(error.content)
        return shown

    @property
    def changed(self) -> bool:
        """Whether any field now differs from what the form showed when it opened."""
        return self.values() != self._shown_at_start

    @property
    def message(self) -> str:
        box = self.query_one("#form-message", Static)
        return str(box.content) if box.has_class("-shown") else ""

    def show_message(self, text: str) -> None:
        box = self.query_one("#form-message", Static)
        box.update(f"⚠ {text}" if text else "")
        box.set_class(bool(text), "-shown")

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Put each message under its input; messages for unknown fields go to the top."""
        names = {spec.name for spec in self.fields if spec.kind != "heading"}
        for name in names:
            message = errors.get(name, "")
            error = self.query_one(f"#error-{name}", Static)
            error.update(f"⚠ {message}" if message else "")
            error.set_class(bool(message), "-shown")
            self.input_for(name).set_class(bool(message), "-invalid")
        others = [f"{name.replace('_', ' ')}: {message}" for name, message in errors.items() if name not in names]
        count = len(errors)
        summary = f"{count} problem{'s' if count != 1 else ''} to fix before saving"
        self.show_message("; ".join([summary, *others]) if errors else "")
        first = next((spec.name for spec in self.fields if spec.name in errors and spec.name in names), None)
        if first is not None:
            self.set_focus(self.input_for(first))

    @on(LimitReached)
    def _limit_reached(self, event: LimitReached) -> None:
        event.stop()
        name = (event.field.id or "").removeprefix("field-")
        for note in self.query(f"#error-{name}").results(Static):
            note.update(f"⚠ stops at {event.limit} characters, the most this field holds")
            note.add_class("-shown")

    # ---------------------------------------------------------------------------------------------------------
    # Saving
    # ---------------------------------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self.query_one("#form-status", Static).update("Saving…")
        values = self.values()
        save = self.on_save

        def attempt(database: Database) -> T | _Refused:
            try:
                return save(database, values)
            except (ValidationError, FieldError, *SHOWN_ERRORS) as exc:
                return _Refused(exc)

        self.run_use_case(attempt, self._save_answered, group="form-save", exclusive=True)

    def action_cancel(self) -> None:
        """Close without saving; when a field was changed, ask first (the safe answer keeps the form)."""
        if self.saving:
            return
        if not self.changed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                f"Discard the changes to “{self.form_title}”?",
                "What was typed is lost. Keep editing (n, Esc or Enter) leaves the form as it is.",
                yes_label="Discard",
                no_label="Keep editing",
            ),
            answered,
        )

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def _save_answered(self, result: T | _Refused) -> None:
        self.saving = False
        self.query_one("#form-status", Static).update("Enter saves · Esc cancels")
        if not isinstance(result, _Refused):
            self.dismiss(result)
            return
        error = result.error
        if isinstance(error, ValidationError):
            self.show_errors(error.errors)
        elif isinstance(error, FieldError):
            self.show_errors({error.field: error.message})
        else:
            self.show_errors({})
            self.show_message(str(error))
