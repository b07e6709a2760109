"""Family itineraries: what one family does at one clinic, in family-facing words."""
