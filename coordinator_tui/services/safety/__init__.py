"""Keeping data safe: audited saves that refuse stale edits, the append-only audit log, backups."""
