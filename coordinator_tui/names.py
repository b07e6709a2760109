"""How people are named on screen and on paper (no database stack: the start-up path uses it too)."""

from __future__ import annotations


def professional_display_name(title: str, given_name: str, family_name: str) -> str:
    """How a professional is named on screen and on paper: "Dr Nora Nurseworthy", or without a title."""
    return " ".join(part for part in (title, given_name, family_name) if part)
