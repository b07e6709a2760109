"""The home screen's "Getting started" panel: the steps of setting up a service, each marked done or to do.

Shown whole while the database holds no patients; once there are patients, only the steps still to do, on one line;
nothing once every step is done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from coordinator_tui.ui.navigation import TOP_LEVEL_SCREENS

if TYPE_CHECKING:  # the database stack is not imported with the home screen (start-up stays fast)
    from coordinator_tui.services.setup_progress import SetupProgress, SetupStep

DONE = "✓ done"
TO_DO = "○ to do"
THEN_KEYS = {"ctrl+n": "^n"}  # as the footer shows them


def screen_keys(title: str) -> str:
    """The keys that open a top-level screen, as the navigation bar shows them: "5 / F6" (the digit from a list,
    the function key while typing in a box). The screen's title when it is not (yet) in the navigation bar."""
    for entry in TOP_LEVEL_SCREENS:
        if entry.title == title:
            return " / ".join(key.upper() if key.startswith("f") else key for key in entry.keys.split(","))
    return f"the {title} screen"


def step_keys(step: SetupStep, *, home: str = "Patients") -> str:
    """The keys that do a step from the home screen, e.g. "3 / F4, then a"; "^n" for a step done right here."""
    then = THEN_KEYS.get(step.then, step.then)
    if step.screen == home:
        return then
    keys = screen_keys(step.screen)
    return f"{keys}, then {then}" if then else keys


def _press(step: SetupStep) -> str:
    keys = step_keys(step)
    return keys if keys.startswith("the ") else f"press {keys}"


def step_table(progress: SetupProgress) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True, padding=(0, 1), pad_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("Step", no_wrap=True)
    table.add_column("Key", no_wrap=True)
    table.add_column("So far", ratio=1, overflow="fold")
    for number, step in enumerate(progress.steps, start=1):
        mark = Text(DONE) if step.done else Text(TO_DO, style="bold")
        table.add_row(mark, f"{number}. {step.title}", step_keys(step), step.progress)
    return table


def next_step_text(progress: SetupProgress) -> Text:
    step = progress.next_step
    if step is None:
        return Text("Everything is set up.")
    text = Text("Next: ", style="bold")
    text.append(f"{step.title.lower()} ({_press(step)}). ")
    text.append("F1 lists every key of a screen.", style="dim")
    return text


def where_text(progress: SetupProgress) -> Text:
    """Which database this is, and what to do if it is not the one meant (a mistyped path makes a new one)."""
    text = Text("This database holds no patients yet: ", style="bold")
    text.append(progress.location or "(unknown location)")
    text.append(
        "\nExpected patients here? Then this is not the database you meant: quit (Ctrl+Q) and check --db or "
        "COORDINATOR_DB. Nothing has been lost from the other one.",
        style="dim",
    )
    return text


def full_panel(progress: SetupProgress) -> RenderableType:
    title = Text("Getting started: set the service up in this order", style="bold")
    return Group(where_text(progress), Text(""), title, step_table(progress), Text(""), next_step_text(progress))


def short_panel(progress: SetupProgress) -> RenderableType:
    left = [f"{step.title.lower()} ({step_keys(step)})" for step in progress.steps if not step.done]
    text = Text("Still to set up: ", style="bold")
    text.append(", ".join(left))
    return text


class GettingStarted(Static):
    """The set-up steps (``services.setup_progress``): whole while there are no patients, then what is left."""

    DEFAULT_CSS = """
    GettingStarted {
        height: auto;
        padding: 0 1;
        margin: 1 0 0 0;
        border-top: solid $primary-muted;
        display: none;
    }
    GettingStarted.-short {
        margin: 0;
        border-top: none;
        color: $text-muted;
    }
    """

    progress: SetupProgress | None = None

    def show_progress(self, progress: SetupProgress) -> None:
        self.progress = progress
        if progress.all_done:
            self.display = False
            return
        short = progress.patients > 0
        self.set_class(short, "-short")
        self.update(short_panel(progress) if short else full_panel(progress))
        self.display = True
