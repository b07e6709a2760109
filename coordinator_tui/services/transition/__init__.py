"""Transition checklists: milestone rules, school years, and the dated items per young person."""
