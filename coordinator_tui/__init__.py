"""Coordinator TUI: care coordination for rare, multi-system conditions."""

__version__ = "0.1.0"
