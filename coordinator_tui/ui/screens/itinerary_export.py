"""Export itineraries from the app: one family (a patient's clinic visit) or every family who confirmed a clinic.

A whole clinic writes the families who confirmed (or attended) only, and says how many it left out and why ("2 not
written: 1 has not replied, 1 declined"). One family who has not replied yet: the screen asks before writing theirs.

A modal screen: a preview of what will be exported (one family: the itinerary as the plain-text file will read;
a whole clinic: the families and the file names), the destination folder (editable, prefilled with the last folder
exported to, remembered in the settings file), the formats (an email draft, .eml, only when ticked) and large
print. Enter (or ``s`` away from the folder input) exports as a use case in a worker thread; a whole clinic shows a
progress bar. Before writing, a family whose visit has no appointment booked or whose timetable has an unresolved
clash is named and the screen asks (y/n, ``export.checks``). Afterwards the files written are listed under whose
they are (the file names carry the date and the patient id, never the child's name), with a line for any family
who got no email draft. An error is one line at the top and everything typed is kept. Escape closes.

The screen calls the export service only (``coordinator_tui.export.service``); it never touches SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, ProgressBar, Static

from coordinator_tui.config import remember_export_dir, settings_file
from coordinator_tui.export.checks import ExportCheck, check_before_export
from coordinator_tui.export.file_names import files_by_family
from coordinator_tui.export.formats import DEFAULT_FORMATS, FORMATS, parse_formats
from coordinator_tui.export.service import ExportOutcome, ExportPreview, export_for_screen, itinerary_preview
from coordinator_tui.ui.background import RunsUseCases
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormCheckbox

if TYPE_CHECKING:
    from coordinator_tui.services.itineraries.itinerary import Itinerary

FORMAT_LABELS = {"ics": ".ics", "txt": ".txt", "html": ".html", "eml": ".eml"}
#: What the email draft is, shown in the preview while .eml is ticked.
EML_NOTE = (
    ".eml: an unsent email draft to the contacts who receive the itinerary: open it in your mail program, check it "
    "and send it from there (nothing is sent from here)."
)


class ExportProgress(Message, bubble=False):
    """Families exported so far (posted from the export's thread)."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


def family_label(itinerary: Itinerary) -> str:
    return f"{itinerary.family_name}, {itinerary.given_name} (patient {itinerary.patient_id})"


def clinic_preview(
    previews: Sequence[tuple[Itinerary, str]], formats: Sequence[str], skipped: str | None = None
) -> Text:
    """Every family of a clinic who confirmed and the file names an export would write for them; who is left out."""
    left_out = f"\n{skipped} (families who confirmed get an itinerary)\n" if skipped else ""
    if not previews:
        return Text(f"No family has confirmed this clinic: nothing to export.{left_out}")
    first = previews[0][0]
    families = "family" if len(previews) == 1 else "families"
    text = Text(f"{first.clinic_name} · {len(previews)} {families} confirmed\n", style="bold")
    if skipped:
        text.append(f"{skipped}\n")
    suffixes = " ".join(f".{fmt}" for fmt in formats) or "(no format chosen)"
    text.append(f"Each family gets: {suffixes}\n")
    if "eml" in formats:
        text.append(f"{EML_NOTE}\n")
    text.append("\n")
    for itinerary, stem in previews:
        text.append(family_label(itinerary), style="bold")
        text.append(f"\n  {stem}\n")
    return text


def written_text(listing: Sequence[tuple[str, Sequence[Path]]], folder: Path, notes: Sequence[str] = ()) -> Text:
    """The files written, under whose they are; then any family who got no email draft."""
    count = sum(len(paths) for _whose, paths in listing)
    files = "file" if count == 1 else "files"
    text = Text(f"✓ Exported {count} {files} to {folder}\n", style="bold")
    for note in notes:
        text.append(f"{note[:1].upper()}{note[1:]}\n", style="bold")
    for whose, paths in listing:
        text.append("\n")
        if whose:
            text.append(f"{whose}\n", style="bold")
        for path in paths:
            text.append(f"  {path.name}\n")
    return text


class ExportCheckbox(FormCheckbox):
    """A checkbox whose mark is shown only when ticked (the compact style marks both states, by colour alone)."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "X" if self.value else " "
        return super()._button


class ExportScreen(ModalScreen[list[Path] | None], RunsUseCases):
    """Preview and export itineraries. The result is the files written (last export), or None."""

    CSS_PATH = "itinerary_export.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "export", "Export", key_display="Enter"),
        Binding("s", "export", "Export", show=False),
        Binding("ctrl+s", "export", "Export", show=False),
        Binding("escape", "close", "Close", key_display="Esc"),
    ]
    AUTO_FOCUS = "#export-preview"

    def __init__(self, clinic_id: int, patient_id: int | None) -> None:
        super().__init__()
        self.clinic_id = clinic_id
        self.patient_id = patient_id
        self.previews: list[tuple[Itinerary, str]] | None = None
        self.exporting = False
        self.written: list[Path] | None = None
        self.skipped: str | None = None  # a whole clinic: the families left out and why
        self.not_confirmed: str | None = None  # one family who has not replied: asked before writing
        self.unconfirmed_allowed = False
        self.concerns_accepted = False  # no appointment booked or a clash: asked before writing

    @property
    def whole_clinic(self) -> bool:
        return self.patient_id is None

    # ---------------------------------------------------------------------------------------------------------
    # Layout
    # ---------------------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        settings = self.coordinator.settings
        with Vertical(id="export-dialog") as dialog:
            dialog.border_title = "Export itineraries: every family" if self.whole_clinic else "Export itinerary"
            yield Static("", id="export-message")
            whom = "every family who confirmed" if self.whole_clinic else "the family"
            yield Label(f"Preview: what {whom} will get", id="export-preview-title")
            with VerticalScroll(id="export-preview"):
                yield Static("Loading the preview…", id="export-preview-text")
            with Horizontal(classes="export-row"):
                yield Label("Folder", classes="export-label")
                yield Input(str(settings.export_path()), id="export-folder", compact=True)
            with Horizontal(classes="export-row", id="export-options"):
                yield Label("Formats", classes="export-label")
                for fmt in FORMATS:
                    yield ExportCheckbox(FORMAT_LABELS[fmt], fmt in DEFAULT_FORMATS, id=f"export-{fmt}", compact=True)
                yield ExportCheckbox("large print", False, id="export-large-print", compact=True)
            bar = ProgressBar(total=None, show_eta=False, id="export-progress")
            if not self.whole_clinic:
                bar.add_class("-hidden")
            yield bar
        yield Footer(compact=True)

    def on_mount(self) -> None:
        use_case = partial(itinerary_preview, clinic_id=self.clinic_id, patient_id=self.patient_id)
        self.run_use_case(use_case, self._preview_loaded, failed="Nothing to preview", group="export-preview")

    # ---------------------------------------------------------------------------------------------------------
    # Preview
    # ---------------------------------------------------------------------------------------------------------

    def _preview_loaded(self, preview: ExportPreview) -> None:
        if preview.error is not None:
            self._preview_failed(preview.error)
            return
        self.skipped, self.not_confirmed = preview.skipped, preview.unconfirmed
        self._show_preview(preview.previews, preview.text)
        if self.not_confirmed:
            self.show_message(f"Not confirmed: {self.not_confirmed}. Enter asks before writing it.")

    def _show_preview(self, previews: list[tuple[Itinerary, str]], text: str | None) -> None:
        self.previews = previews
        if previews and not self.whole_clinic:
            itinerary = previews[0][0]
            name = f"{itinerary.given_name} {itinerary.family_name}"
            self.query_one("#export-dialog").border_title = f"Export itinerary: {name}"
        self.written = None
        self._draw_preview(text)

    def _draw_preview(self, text: str | None = None) -> None:
        preview = self.query_one("#export-preview-text", Static)
        if self.previews is None:
            return
        if self.whole_clinic:
            preview.update(clinic_preview(self.previews, self.chosen_formats(), self.skipped))
            bar = self.query_one(ProgressBar)
            bar.update(total=len(self.previews), progress=0)
        elif text is not None:
            stem = self.previews[0][1]
            formats = self.chosen_formats()
            header = Text(f"Files: {stem} " + " ".join(f".{f}" for f in formats) + "\n", style="bold")
            if "eml" in formats:
                header.append(f"{EML_NOTE}\n")
            header.append("\n")
            preview.update(header + Text(text))
            self._preview_text = text

    def _preview_failed(self, message: str) -> None:
        self.query_one("#export-preview-text", Static).update("Nothing to preview.")
        self.show_message(message)

    @on(FormCheckbox.Changed)
    def _formats_changed(self) -> None:
        if self.written is None and self.previews is not None:
            self._draw_preview(getattr(self, "_preview_text", None))

    # ---------------------------------------------------------------------------------------------------------
    # Values and messages
    # ---------------------------------------------------------------------------------------------------------

    def chosen_formats(self) -> tuple[str, ...]:
        return tuple(fmt for fmt in FORMATS if self.query_one(f"#export-{fmt}", FormCheckbox).value)

    @property
    def folder(self) -> str:
        return self.query_one("#export-folder", Input).value.strip()

    @property
    def large_print(self) -> bool:
        return self.query_one("#export-large-print", FormCheckbox).value

    def show_message(self, message: str) -> None:
        widget = self.query_one("#export-message", Static)
        widget.update(f"✗ {message}" if message else "")
        widget.set_class(bool(message), "-shown")

    # ---------------------------------------------------------------------------------------------------------
    # Export
    # ---------------------------------------------------------------------------------------------------------

    @on(Input.Submitted, "#export-folder")
    def _folder_submitted(self) -> None:
        self.action_export()

    def action_export(self) -> None:
        if self.exporting:
            return
        if not self.folder:
            self.show_message("Enter the folder to export to.")
            self.query_one("#export-folder", Input).focus()
            return
        try:
            formats = parse_formats(self.chosen_formats())
        except ValueError:
            self.show_message("Choose at least one format.")
            return
        if self.not_confirmed and not self.unconfirmed_allowed:
            self._ask_unconfirmed()
            return
        if not self.concerns_accepted:
            self._check_first()
            return
        self.show_message("")
        self.exporting = True
        folder = Path(self.folder).expanduser()
        if self.whole_clinic:
            self.query_one(ProgressBar).update(progress=0)

        def progress(done: int, total: int) -> None:
            self.post_message(ExportProgress(done, total))

        use_case = partial(
            export_for_screen,
            clinic_id=self.clinic_id,
            patient_id=self.patient_id,
            out_dir=folder,
            formats=formats,
            large_print=self.large_print,
            progress_callback=progress if self.whole_clinic else None,
            unconfirmed=self.unconfirmed_allowed,
        )
        self.run_use_case(
            use_case, partial(self._export_done, folder), failed="Not exported", group="export", exclusive=True
        )

    def _check_first(self) -> None:
        """Ask about a family with no appointment booked or an unresolved clash before writing anything."""
        self.exporting = True
        use_case = partial(
            check_before_export,
            clinic_id=self.clinic_id,
            patient_id=self.patient_id,
            unconfirmed=self.unconfirmed_allowed,
        )
        self.run_use_case(
            use_case,
            self._checked,
            failed="Not exported",
            on_error=self._export_failed,
            group="export",
            exclusive=True,
        )

    def _checked(self, check: ExportCheck) -> None:
        self.exporting = False
        if check.error is not None:
            self.show_message(check.error)
            return
        if not check.concerns:
            self.concerns_accepted = True
            self.action_export()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.concerns_accepted = True
                self.action_export()

        whose = "This itinerary" if check.families <= 1 else f"{check.families} families' itineraries"
        self.app.push_screen(
            ConfirmScreen(
                f"{whose} may mislead: {check.concerns}. Write anyway?",
                "A family may travel for an appointment that is not booked, or at a time that is about to change. "
                "n goes back without writing anything (book the appointments, or resolve the clash on the clinic "
                "day, first).",
                yes_label="Write anyway",
                no_label="Not now",
            ),
            answered,
        )

    def _ask_unconfirmed(self) -> None:
        first = self.previews[0][0] if self.previews else None
        name = f"{first.given_name} {first.family_name}" if first else "This family"

        def answered(yes: bool | None) -> None:
            if yes:
                self.unconfirmed_allowed = True
                self.action_export()

        self.app.push_screen(
            ConfirmScreen(
                f"{name} has not confirmed. Export their itinerary anyway?",
                "Families who have not replied may not be coming; itineraries normally go to those who confirmed.",
                yes_label="Export anyway",
            ),
            answered,
        )

    @on(ExportProgress)
    def _progress(self, event: ExportProgress) -> None:
        self.query_one(ProgressBar).update(total=event.total, progress=event.done)

    def _export_done(self, folder: Path, outcome: ExportOutcome) -> None:
        if outcome.error is not None:
            self._export_failed(outcome.error)
            return
        self.concerns_accepted = False  # the next export is checked again
        self._remember_folder(folder)
        self.run_use_case(
            partial(files_by_family, paths=outcome.paths),
            partial(self._exported, outcome.paths, folder, outcome.skipped, outcome.notes),
            failed="Exported",
            group="export-listing",
        )
        if outcome.warning:
            self.notify(
                outcome.warning[:1].upper() + outcome.warning[1:] + ".",
                title="Service details",
                severity="warning",
                timeout=15,
            )

    def _export_failed(self, message: str) -> None:
        self.exporting = False
        self.show_message(message)

    def _remember_folder(self, folder: Path) -> None:
        """The folder exported to is where the next export starts (this session and, through the settings file,
        the next)."""
        settings = self.coordinator.settings
        value = str(folder.absolute())
        if settings.export_dir == value:
            return
        settings.export_dir = value

        def save() -> str | None:
            return remember_export_dir(value, settings_file())

        def saved(problem: str | None) -> None:
            if problem:
                self.notify(problem[:1].upper() + problem[1:] + ".", title="Settings", severity="warning")

        self.run_use_case(lambda _database: save(), saved, failed="Settings", group="export-folder")

    def _exported(
        self,
        paths: list[Path],
        folder: Path,
        skipped: str | None,
        notes: list[str],
        listing: list[tuple[str, list[Path]]],
    ) -> None:
        self.exporting = False
        self.written = paths
        self.query_one("#export-preview-title", Label).update("Files written by the last export (Esc closes)")
        text = written_text(listing, folder, notes)
        if skipped:
            text = Text(f"{skipped}\n", style="bold") + text
        self.query_one("#export-preview-text", Static).update(text)
        self.query_one("#export-preview", VerticalScroll).scroll_home(animate=False)

    def action_close(self) -> None:
        self.dismiss(self.written)
