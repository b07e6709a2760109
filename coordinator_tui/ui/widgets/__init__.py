"""Reusable widgets and modal screens (forms, confirmation, help, pickers)."""
