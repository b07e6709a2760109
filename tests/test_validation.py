"""Every validation rule with good and bad values, plus property tests for the date and NHS number parsers.

The clock is fixed at 2026-11-25 10:00 UTC by conftest, so "today" is 25/11/2026.
"""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator_tui.validation import (
    FieldError,
    FormErrors,
    ValidationError,
    as_flag,
    clean_text,
    format_nhs_number,
    format_uk_date,
    nhs_check_digit,
    parse_date_of_birth,
    parse_positive_int,
    parse_time,
    parse_uk_date,
    validate_email,
    validate_nhs_number,
    validate_uk_phone,
)

# Hypothesis runs each example under the function-scoped autouse clock fixture; that is intended here.
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def reference_nhs_valid(digits: str) -> bool:
    """An independent statement of the NHS modulus-11 rule (NHS Data Dictionary), to test the validator against."""
    if len(digits) != 10 or not all(c in "0123456789" for c in digits):
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    remainder = total % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


# ------------------------------------------------------------------------------------------------------------
# NHS number
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("9434765919", "9434765919"),  # the NHS's published example
        ("943 476 5919", "9434765919"),
        ("943-476-5919", "9434765919"),
        ("  943 476 5919  ", "9434765919"),
        ("9990000018", "9990000018"),  # 999 test range
        ("4010232137", "4010232137"),
    ],
)
def test_nhs_number_valid(typed: str, digits: str) -> None:
    assert reference_nhs_valid(digits)  # the oracle agrees these are real examples
    assert validate_nhs_number(typed) == digits


def test_nhs_check_digit_eleven_becomes_zero() -> None:
    # A weighted sum divisible by 11 gives 11 - 0 = 11, which the rule turns into a check digit of 0.
    first_nine = next(f"{n:09d}" for n in range(10**8, 10**9) if sum(
        int(d) * w for d, w in zip(f"{n:09d}", range(10, 1, -1), strict=True)) % 11 == 0)  # fmt: skip
    assert nhs_check_digit(first_nine) == 0
    assert validate_nhs_number(first_nine + "0") == first_nine + "0"


@pytest.mark.parametrize("typed", ["9434765918", "9434765910", "9434765911", "1234567890"])
def test_nhs_number_wrong_check_digit(typed: str) -> None:
    with pytest.raises(FieldError) as exc:
        validate_nhs_number(typed)
    assert exc.value.field == "nhs_number"
    assert "check digit" in exc.value.message


def test_nhs_number_remainder_ten_is_never_valid() -> None:
    # Numbers whose check digit would be 10 are never issued: every last digit must be refused.
    first_nine = next(
        f"{n:09d}"
        for n in range(999000000, 999999999)
        if 11 - sum(int(d) * w for d, w in zip(f"{n:09d}", range(10, 1, -1), strict=True)) % 11 == 10
    )
    assert nhs_check_digit(first_nine) is None
    for last in "0123456789":
        with pytest.raises(FieldError, match="check digit"):
            validate_nhs_number(first_nine + last)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("943476591", "10 digits (this has 9)"),
        ("94347659190", "10 digits (this has 11)"),
        ("", "required"),
        ("   ", "required"),
        ("94347A5919", "digits only"),
        ("NHS9434765919", "digits only"),
        ("943.476.5919", "digits only"),
        ("٩٤٣٤٧٦٥٩١٩", "digits only"),  # Arabic-Indic digits are digits to Python, not to the NHS
        ("９４３４７６５９１９", "digits only"),  # full-width digits
    ],
)
def test_nhs_number_bad_shapes(typed: str, message: str) -> None:
    with pytest.raises(FieldError) as exc:
        validate_nhs_number(typed, "nhs")
    assert exc.value.field == "nhs"
    assert message in exc.value.message


def test_format_nhs_number() -> None:
    assert format_nhs_number("9434765919") == "943 476 5919"
    assert format_nhs_number("123") == "123"


@PROPERTY
@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_nhs_validator_accepts_exactly_numbers_whose_check_digit_matches(digits: str) -> None:
    expected = reference_nhs_valid(digits)
    try:
        validate_nhs_number(digits)
        accepted = True
    except FieldError:
        accepted = False
    assert accepted == expected


@PROPERTY
@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_nhs_every_nine_digits_have_exactly_one_or_no_valid_completion(first_nine: str) -> None:
    valid = [d for d in "0123456789" if reference_nhs_valid(first_nine + d)]
    assert len(valid) <= 1
    check = nhs_check_digit(first_nine)
    assert valid == ([] if check is None else [str(check)])
    for d in "0123456789":
        if d in valid:
            assert validate_nhs_number(f"{first_nine[:3]} {first_nine[3:6]} {first_nine[6:]}{d}") == first_nine + d
        else:
            with pytest.raises(FieldError):
                validate_nhs_number(first_nine + d)


@PROPERTY
@given(st.text(max_size=30))
def test_nhs_validator_only_raises_field_error(text: str) -> None:
    try:
        result = validate_nhs_number(text)
    except FieldError:
        return
    assert reference_nhs_valid(result)


# ------------------------------------------------------------------------------------------------------------
# Dates
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("03/04/2020", dt.date(2020, 4, 3)),  # day first: 3 April, never 4 March
        ("3/4/2020", dt.date(2020, 4, 3)),
        ("13/12/2020", dt.date(2020, 12, 13)),
        ("29/02/2020", dt.date(2020, 2, 29)),  # leap year
        ("29/02/2000", dt.date(2000, 2, 29)),  # divisible by 400: leap
        ("03.04.2020", dt.date(2020, 4, 3)),
        ("03-04-2020", dt.date(2020, 4, 3)),
        ("03 04 2020", dt.date(2020, 4, 3)),
        (" 03/04/2020 ", dt.date(2020, 4, 3)),
        ("3 April 2020", dt.date(2020, 4, 3)),
        ("3rd April 2020", dt.date(2020, 4, 3)),
        ("April 3, 2020", dt.date(2020, 4, 3)),
        ("1 Jan 1900", dt.date(1900, 1, 1)),
        ("2020-04-03", dt.date(2020, 4, 3)),  # ISO 8601 is year-month-day, whatever dayfirst says
        ("03042020", dt.date(2020, 4, 3)),  # DDMMYYYY typed without separators
    ],
)
def test_parse_uk_date_good(typed: str, expected: dt.date) -> None:
    assert parse_uk_date(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/02/2020", "not a real date"),
        ("30/02/2020", "not a real date"),
        ("29/02/2021", "not a real date"),  # not a leap year
        ("29/02/1900", "not a real date"),  # divisible by 100, not 400: not a leap year
        ("31/04/2020", "not a real date"),
        ("12/13/2020", "not a real date"),  # MM/DD typed by mistake: month 13
        ("00/01/2020", "not a real date"),
        ("03/04/20", "year in full"),  # two-digit years are refused, not guessed
        ("3 April 20", "year in full"),
        ("31/12/1899", "1900 or later"),
        ("tomorrow", "not a date"),
        ("2020", "whole date"),  # a year alone must not become 1 January
        ("March 2020", "whole date"),  # nor a month and year the 1st
        ("04/2020", "whole date"),
        ("20200403", "not a real date"),  # eight digits are DDMMYYYY: day 20, month 20
        ("2020-13-01", "not a real date"),  # ISO with month 13 is not read as day 13
        ("", "required"),
        ("x" * 41, "not a date"),
        ("03/04/2020\x00", "not a date"),
    ],
)
def test_parse_uk_date_bad(typed: str, message: str) -> None:
    with pytest.raises(FieldError) as exc:
        parse_uk_date(typed, "clinic_day")
    assert exc.value.field == "clinic_day"
    assert message in exc.value.message


def test_parse_uk_date_optional_and_direction() -> None:
    assert parse_uk_date("  ", required=False) is None
    assert parse_uk_date("25/11/2026", allow_future=False) == dt.date(2026, 11, 25)  # today is not the future
    with pytest.raises(FieldError, match="future"):
        parse_uk_date("26/11/2026", allow_future=False)
    assert parse_uk_date("25/11/2026", allow_past=False) == dt.date(2026, 11, 25)
    with pytest.raises(FieldError, match="past"):
        parse_uk_date("24/11/2026", allow_past=False)


def test_date_of_birth() -> None:
    assert parse_date_of_birth("01/09/2010") == dt.date(2010, 9, 1)
    assert parse_date_of_birth("25/11/2026") == dt.date(2026, 11, 25)  # born today
    with pytest.raises(FieldError) as exc:
        parse_date_of_birth("26/11/2026")
    assert exc.value.field == "date_of_birth"
    assert "future" in exc.value.message
    with pytest.raises(FieldError, match="120 years"):
        parse_date_of_birth("01/01/1901")


def test_format_uk_date() -> None:
    assert format_uk_date(dt.date(2020, 4, 3)) == "03/04/2020"
    assert format_uk_date(None) == ""


@PROPERTY
@given(st.text(max_size=45))
def test_parse_uk_date_only_ever_raises_field_error(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateutil warns about unknown time-zone names in free text
        try:
            result = parse_uk_date(text)
        except FieldError:
            return
    assert isinstance(result, dt.date)
    assert result.year >= 1900


@PROPERTY
@given(st.from_regex(r"[0-9a-zA-Z /.\-:,]{0,30}", fullmatch=True))
def test_parse_uk_date_date_like_text_only_raises_field_error(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = parse_uk_date(text)
        except FieldError:
            return
    assert str(result.year) in text  # a year is never invented


@PROPERTY
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_parse_uk_date_round_trips_the_uk_format(day: dt.date) -> None:
    assert parse_uk_date(format_uk_date(day)) == day
    assert parse_uk_date(day.isoformat()) == day
    assert parse_uk_date(f"{day.day}/{day.month}/{day.year}") == day


# ------------------------------------------------------------------------------------------------------------
# Times
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("09:30", dt.time(9, 30)),
        ("9:30", dt.time(9, 30)),
        ("9.30", dt.time(9, 30)),
        ("0930", dt.time(9, 30)),
        ("930", dt.time(9, 30)),
        ("00:00", dt.time(0, 0)),
        ("23:59", dt.time(23, 59)),
        (" 14:05 ", dt.time(14, 5)),
    ],
)
def test_parse_time_good(typed: str, expected: dt.time) -> None:
    assert parse_time(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("24:00", "not a time of day"),
        ("12:60", "not a time of day"),
        ("99:99", "not a time of day"),
        ("9", "HH:MM"),
        ("9:5", "HH:MM"),
        ("9:30am", "HH:MM"),
        ("half nine", "HH:MM"),
        ("", "HH:MM"),
        ("-1:00", "HH:MM"),
    ],
)
def test_parse_time_bad(typed: str, message: str) -> None:
    with pytest.raises(FieldError) as exc:
        parse_time(typed, "start_time")
    assert exc.value.field == "start_time"
    assert message in exc.value.message


# ------------------------------------------------------------------------------------------------------------
# Email and phone
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["a@example.org", "first.last@example.org", "o'neil+clinic@sub.example.co.uk", " a@example.org "]
)
def test_email_good(typed: str) -> None:
    assert validate_email(typed) == typed.strip()


@pytest.mark.parametrize(
    "typed",
    [
        "no-at.example.org",
        "a@b",
        "a@@example.org",
        "a..b@example.org",
        "a@example..org",
        "a b@example.org",
        "a@-example.org",
        "a@example.org.",
        "@example.org",
        "a@",
        "a@exam\nple.org",
        "x" * 250 + "@example.org",
    ],
)
def test_email_bad(typed: str) -> None:
    with pytest.raises(FieldError) as exc:
        validate_email(typed, "contact_email")
    assert exc.value.field == "contact_email"
    assert "not an email address" in exc.value.message


def test_email_required() -> None:
    assert validate_email("") == ""
    with pytest.raises(FieldError, match="required"):
        validate_email(" ", required=True)


@pytest.mark.parametrize(
    ("typed", "tidy"),
    [
        ("01632 960001", "01632 960001"),  # landline (Ofcom drama range)
        ("01632960001", "01632 960001"),
        ("(01632) 960001", "01632 960001"),
        ("020 7946 0000", "020 7946 0000"),  # London
        ("02079460000", "020 7946 0000"),
        ("07700 900123", "07700 900123"),  # mobile
        ("07700-900-123", "07700 900123"),
        ("+44 7700 900123", "07700 900123"),
        ("+447700900123", "07700 900123"),
        ("+44 20 7946 0000", "020 7946 0000"),
        ("0303 123 4567", "0303 123 4567"),
        ("0800 123 4567", "0800 123 4567"),
        ("01632 96000", "01632 96000"),  # some 01 numbers have 10 digits
        ("01214960000", "0121 496 0000"),  # Birmingham, Sheffield: 01x1 and 011x areas are 4 + 3 + 4
        ("0114 496 0000", "0114 496 0000"),
        ("01214 960000", "0121 496 0000"),  # kept as a family would dial it, not as typed
    ],
)
def test_uk_phone_good(typed: str, tidy: str) -> None:
    assert validate_uk_phone(typed) == tidy


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("+1 202 555 0100", "only UK numbers"),  # foreign
        ("+33 1 23 45 67 89", "only UK numbers"),
        ("0163 296", "10 or 11 digits"),
        ("077009001234", "10 or 11 digits"),
        ("7700 900123", "should start 01"),  # no leading 0
        ("0400 123 4567", "should start 01"),
        ("0900 123 4567", "should start 01"),
        ("07700 900123 ext 4", "digits, spaces"),
        ("07700.900123", "digits, spaces"),
        ("phone me", "digits, spaces"),
    ],
)
def test_uk_phone_bad(typed: str, message: str) -> None:
    with pytest.raises(FieldError) as exc:
        validate_uk_phone(typed, "hotel_phone")
    assert exc.value.field == "hotel_phone"
    assert message in exc.value.message


def test_uk_phone_required() -> None:
    assert validate_uk_phone("  ") == ""
    with pytest.raises(FieldError, match="required"):
        validate_uk_phone("", required=True)


# ------------------------------------------------------------------------------------------------------------
# Free text
# ------------------------------------------------------------------------------------------------------------


def test_clean_text_trims_and_normalises() -> None:
    assert clean_text("  Puddleby Primary  ", "school", max_length=200) == "Puddleby Primary"
    assert clean_text("Zoe\u0301", "name", max_length=4) == "Zoé"  # NFC: four characters, not five
    assert clean_text("tab\tinside", "notes", max_length=20, multiline=True) == "tab\tinside"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("a\x00b", "contains a null character (U+0000); remove it"),
        ("a\x07b", "contains a bell character (U+0007); remove it"),
        ("a\x1b[31mred", "contains an escape character (U+001B); remove it"),
        ("a\rb", "contains a line break (U+000D); remove it"),
        ("a\nb", "contains a line break (U+000A); remove it"),
        ("tab\tinside", "contains a tab (U+0009); remove it"),
        ("a\x7fb", "contains a delete character (U+007F); remove it"),
        ("a\x9b31mb", "contains a control sequence introducer (U+009B); remove it"),
        ("a\x85b", "contains a line break (U+0085); remove it"),
        ("a\x01b", "contains a control character (U+0001); remove it"),
        ("a\u2028b", "contains a line separator (U+2028); remove it"),
    ],
)
def test_clean_text_refuses_control_characters_naming_them(bad: str, message: str) -> None:
    with pytest.raises(FieldError) as exc:
        clean_text(bad, "given_name", max_length=100)
    assert exc.value.field == "given_name"
    assert exc.value.message == message


@pytest.mark.parametrize(
    ("bad", "name"),
    [
        ("\u202a", "a left-to-right embedding (U+202A)"),
        ("\u202b", "a right-to-left embedding (U+202B)"),
        ("\u202c", "a pop directional formatting character (U+202C)"),
        ("\u202d", "a left-to-right override (U+202D)"),
        ("\u202e", "a right-to-left override (U+202E)"),
        ("\u2066", "a left-to-right isolate (U+2066)"),
        ("\u2067", "a right-to-left isolate (U+2067)"),
        ("\u2068", "a first strong isolate (U+2068)"),
        ("\u2069", "a pop directional isolate (U+2069)"),
        ("\u200e", "a left-to-right mark (U+200E)"),
        ("\u200f", "a right-to-left mark (U+200F)"),
        ("\u061c", "an Arabic letter mark (U+061C)"),
    ],
)
@pytest.mark.parametrize("multiline", [False, True])
def test_clean_text_refuses_bidirectional_controls_naming_them(bad: str, name: str, multiline: bool) -> None:
    """'Anna\u202eSmith' would be shown as 'AnnahtimS': text that reorders itself could make one patient look like
    another."""
    with pytest.raises(FieldError) as exc:
        clean_text(f"Anna{bad}Smith", "given_name", max_length=100, multiline=multiline)
    assert exc.value.message == f"contains {name}; remove it"


def test_clean_text_keeps_right_to_left_scripts_and_joiners() -> None:
    """Only the invisible controls are refused: Arabic and Hebrew names, and the joiners some scripts need, stay."""
    for name in ("سارا", "דנה", "می\u200cخواهم", "Zoë"):
        assert clean_text(name, "given_name", max_length=100) == name


def test_clean_text_multiline() -> None:
    assert clean_text("line 1\r\nline 2\rline 3\n", "notes", max_length=100, multiline=True) == "line 1\nline 2\nline 3"
    with pytest.raises(FieldError, match=r"contains an escape character \(U\+001B\)"):
        clean_text("line 1\n\x1b[2J", "notes", max_length=100, multiline=True)


def test_clean_text_length_and_required() -> None:
    assert clean_text("abcde", "f", max_length=5) == "abcde"
    with pytest.raises(FieldError) as exc:
        clean_text("abcdef", "f", max_length=5)
    assert exc.value.message == "is too long (6 characters; at most 5)"
    assert clean_text("   ", "f", max_length=5) == ""
    with pytest.raises(FieldError, match="is required"):
        clean_text("   ", "f", max_length=5, required=True)
    with pytest.raises(FieldError, match="must be text"):
        clean_text(5, "f", max_length=5)  # type: ignore[arg-type]


@PROPERTY
@given(st.text(max_size=60))
def test_clean_text_never_returns_control_characters(text: str) -> None:
    import unicodedata

    try:
        result = clean_text(text, "f", max_length=50)
    except FieldError:
        return
    assert len(result) <= 50
    assert result == result.strip()
    assert all(unicodedata.category(c) != "Cc" and c not in BIDI_CONTROLS for c in result)


BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


# ------------------------------------------------------------------------------------------------------------
# Numbers, flags, and collecting a form's errors
# ------------------------------------------------------------------------------------------------------------


def test_parse_positive_int() -> None:
    assert parse_positive_int(" 12 ", "nights", maximum=14) == 12
    with pytest.raises(FieldError, match="between 0 and 14"):
        parse_positive_int("15", "nights", maximum=14)
    with pytest.raises(FieldError, match="between 1 and 5"):
        parse_positive_int("0", "days", minimum=1, maximum=5)
    for bad in ("-1", "1.5", "two", "", "1234567"):
        with pytest.raises(FieldError, match="whole number"):
            parse_positive_int(bad, "n")


def test_as_flag() -> None:
    assert all(as_flag(v) for v in (True, "yes", "Y", "1", "true", "on", "x"))
    assert not any(as_flag(v) for v in (False, "no", "", "0", "off", None))


def test_form_errors_collects_one_message_per_field() -> None:
    errors = FormErrors()
    assert errors.check("nhs_number", validate_nhs_number, "9434765919") == "9434765919"
    assert errors.check("date_of_birth", parse_date_of_birth, "31/02/2020") is None
    assert errors.check("phone", validate_uk_phone, "+1 202 555 0100") is None
    errors.add("phone", "a second message is not kept")

    def form_level() -> None:
        raise ValidationError({"email": "is needed", "date_of_birth": "not kept either"})

    errors.check("ignored", form_level)
    with pytest.raises(ValidationError) as exc:
        errors.raise_if_any()
    assert exc.value.errors == {
        "date_of_birth": "31/02/2020 is not a real date (check the day and month)",
        "phone": "only UK numbers (+44) are accepted",
        "email": "is needed",
    }
    assert "phone: only UK numbers" in str(exc.value)


def test_form_errors_without_errors_does_not_raise() -> None:
    errors = FormErrors()
    errors.check("t", parse_time, "09:00")
    errors.raise_if_any()
    single = ValidationError.single("end", "must be after start")
    assert single.errors == {"end": "must be after start"}
    assert str(single) == "end: must be after start"
