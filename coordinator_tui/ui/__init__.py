"""The Textual user interface: screens and widgets over the services (never SQL)."""
