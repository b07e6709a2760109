"""Subcommands of the coordinator-tui command line, one module each."""
