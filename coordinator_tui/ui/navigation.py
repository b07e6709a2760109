"""The top-level screens: the one registry the app, the navigation bar and the command palette read.

Top-level screens are Textual *modes* (each keeps its own stack, so a patient record stays open while the
coordinator looks at a clinic day). To add one, append a line to ``TOP_LEVEL_SCREENS``: the key that opens it,
the mode name, its title, and ``"module:ClassName"`` of the screen (imported when first shown, so start-up stays
fast).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopLevelScreen:
    key: str  # the key that switches to it (shown in the navigation bar)
    mode: str  # Textual mode name
    title: str
    target: str  # "package.module:ClassName"; the class is built with no arguments
    function_key: str = ""  # also switches to it while a text box has the focus (where digits are typed)

    @property
    def keys(self) -> str:
        """The keys that switch to it, as a Textual binding's key list."""
        return ",".join(key for key in (self.key, self.function_key) if key)


TOP_LEVEL_SCREENS: list[TopLevelScreen] = [
    TopLevelScreen("1", "patients", "Patients", "coordinator_tui.ui.screens.patients:PatientsScreen", "f2"),
    TopLevelScreen("2", "clinic_days", "Clinic days", "coordinator_tui.ui.screens.clinic_days:ClinicDaysScreen", "f3"),
    TopLevelScreen(
        "3", "professionals", "Professionals", "coordinator_tui.ui.screens.professionals:ProfessionalsScreen", "f4"
    ),
    TopLevelScreen("4", "caseload", "Caseload", "coordinator_tui.ui.screens.caseload:CaseloadScreen", "f5"),
    TopLevelScreen("5", "service", "Service", "coordinator_tui.ui.screens.service_details:ServiceDetailsScreen", "f6"),
    TopLevelScreen("6", "venues", "Venues", "coordinator_tui.ui.screens.venues:VenuesScreen", "f7"),
]

#: Imported in the background once the database is open, so the first record or clinic opened does not wait.
WARM_UP_MODULES = [
    "coordinator_tui.ui.screens.patient_record",
    *(entry.target.partition(":")[0] for entry in TOP_LEVEL_SCREENS),
]
