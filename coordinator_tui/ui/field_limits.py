"""How many characters each form field holds: a form's text box stops there as it is typed.

A field kept as typed (a name, a school, a note) holds what its column holds: ``column_limit`` reads the model's
``Field(max_length=…)``. A field read into something else (a date, a time, a number, an NHS or phone number) holds
the longest text its parser in ``validation.py`` reads; ``tests/ui/test_form_limits.py`` checks each of these against
its parser, so that a form never stops short of what the parser accepts.
"""

from __future__ import annotations

from typing import Any

from coordinator_tui.models import Patient
from coordinator_tui.ui.widgets.forms import FieldKind, FormField
from coordinator_tui.validation import format_nhs_number


def column_limit(model: Any, name: str) -> int:
    """The ``max_length`` of the model's field ``name``: the most characters its column holds."""
    for item in model.model_fields[name].metadata:
        limit = getattr(item, "max_length", None)
        if isinstance(limit, int):
            return limit
    raise ValueError(f"{model.__name__}.{name} has no max_length")


def column_field(
    model: Any, name: str, label: str, value: str, *, kind: FieldKind = "text", **options: Any
) -> FormField:
    """A text field kept as typed in the column ``model.name``: it holds what the column holds."""
    return FormField(name, label, value, kind=kind, max_length=column_limit(model, name), **options)


#: ``parse_uk_date`` reads at most 40 characters (dates in words, such as "Wednesday 14 September 2026").
DATE = 40
#: ``parse_time`` reads HH:MM, 24-hour clock.
TIME = 5
#: ``parse_positive_int`` reads at most six digits.
WHOLE_NUMBER = 6
#: ``validate_uk_phone`` reads at most 25 digits, spaces, brackets, + and - (the number kept is shorter).
PHONE = 25
#: An NHS number as printed on letters, 3-3-4 with spaces (``validate_nhs_number`` reads it with or without them).
NHS_NUMBER = len(format_nhs_number("0" * column_limit(Patient, "nhs_number")))
