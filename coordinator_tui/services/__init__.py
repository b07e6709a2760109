"""Domain operations and rules. Nothing here imports textual; screens and the CLI call these functions."""
