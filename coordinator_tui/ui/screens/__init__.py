"""Screens of the app; top-level ones are listed in ``coordinator_tui.ui.navigation.TOP_LEVEL_SCREENS``."""
