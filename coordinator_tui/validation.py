"""Parsing and validating what people type: one clear, specific message per problem.

Every parser takes the raw text of a form field or command-line argument and returns a clean value or raises
``FieldError`` naming the field. ``ValidationError`` gathers the errors of a whole form (field -> message),
so a screen can show each message beside its input and keep what was typed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from coordinator_tui import clock


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ValidationError(ValueError):
    """One or more fields are wrong. ``errors`` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls({field: message})


class FormErrors:
    """Collects field errors while a form is parsed: ``with errors.field('dob'): parse_uk_date(...)``."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def check(self, field: str, func, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return func(*args, **kwargs)
        except FieldError as exc:
            self.errors.setdefault(field, exc.message)
        except ValidationError as exc:
            for key, msg in exc.errors.items():
                self.errors.setdefault(key, msg)
        return None

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


# Characters that change how text is shown rather than what it says, refused in every text field: the C0 and C1
# controls (ESC and C1's CSI start terminal escape sequences; a line break or tab in a name breaks every table and
# file that shows it; multi-line fields keep line breaks and tabs), the line and paragraph separators, and the
# bidirectional controls, which reorder what follows ("Anna\u202eSmith" is shown as "AnnahtimS").
_NAMED_CHARACTERS = {
    "\x00": "a null character",
    "\x07": "a bell character",
    "\x08": "a backspace",
    "\t": "a tab",
    "\n": "a line break",
    "\x0b": "a line break",
    "\x0c": "a page break",
    "\r": "a line break",
    "\x1b": "an escape character",
    "\x7f": "a delete character",
    "\x85": "a line break",
    "\x9b": "a control sequence introducer",
    "\u2028": "a line separator",
    "\u2029": "a paragraph separator",
    "\u061c": "an Arabic letter mark",
    "\u200e": "a left-to-right mark",
    "\u200f": "a right-to-left mark",
    "\u202a": "a left-to-right embedding",
    "\u202b": "a right-to-left embedding",
    "\u202c": "a pop directional formatting character",
    "\u202d": "a left-to-right override",
    "\u202e": "a right-to-left override",
    "\u2066": "a left-to-right isolate",
    "\u2067": "a right-to-left isolate",
    "\u2068": "a first strong isolate",
    "\u2069": "a pop directional isolate",
}
UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Lone surrogates (broken text, e.g. undecodable bytes pasted into a terminal) cannot be stored as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


def describe_character(ch: str) -> str:
    """'a right-to-left override (U+202E)': a character named so that someone can find it and remove it."""
    return f"{_NAMED_CHARACTERS.get(ch, 'a control character')} (U+{ord(ch):04X})"


def unsafe_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character of ``text`` that a text field refuses (see ``UNSAFE_TEXT``), or None. Multi-line text
    may hold line breaks (\\n) and tabs."""
    for match in UNSAFE_TEXT.finditer(text):
        if not (multiline and match.group() in "\n\t"):
            return match.group()
    return None


def refuse_unsafe_text(text: str, field: str, *, multiline: bool = False) -> None:
    """Raise FieldError naming the first character of ``text`` that a text field refuses (``unsafe_character``)."""
    bad = unsafe_character(text, multiline=multiline)
    if bad is not None:
        raise FieldError(field, f"contains {describe_character(bad)}; remove it")


def clean_text(value: str, field: str, *, max_length: int, required: bool = False, multiline: bool = False) -> str:
    """Trim; refuse control characters, bidirectional controls (naming the character) and over-long text."""
    if not isinstance(value, str):
        raise FieldError(field, "must be text")
    text = unicodedata.normalize("NFC", value).strip()
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    refuse_unsafe_text(text, field, multiline=multiline)
    if _SURROGATE.search(text):
        raise FieldError(field, "contains broken characters that cannot be stored; please retype it")
    if required and not text:
        raise FieldError(field, "is required")
    if len(text) > max_length:
        raise FieldError(field, f"is too long ({len(text)} characters; at most {max_length})")
    return text


# ------------------------------------------------------------------------------------------------------------
# NHS number
# ------------------------------------------------------------------------------------------------------------


def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit for nine digits, or None when the number cannot be valid (remainder 10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def validate_nhs_number(value: str, field: str = "nhs_number") -> str:
    """Accept '943 476 5919', '943-476-5919' or '9434765919'; return the 10 digits."""
    digits = re.sub(r"[\s-]", "", value or "")
    if not digits:
        raise FieldError(field, "NHS number is required")
    if not digits.isascii() or not digits.isdigit():
        raise FieldError(field, "NHS number must contain digits only")
    if len(digits) != 10:
        raise FieldError(field, f"NHS number must have 10 digits (this has {len(digits)})")
    expected = nhs_check_digit(digits[:9])
    if expected is None or expected != int(digits[9]):
        raise FieldError(field, "NHS number is not valid: its check digit does not match (typing error?)")
    return digits


def format_nhs_number(digits: str) -> str:
    """3-3-4 grouping, as printed on NHS letters."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits


# ------------------------------------------------------------------------------------------------------------
# Dates and times (UK: DD/MM/YYYY)
# ------------------------------------------------------------------------------------------------------------

_DATE_SHAPE = re.compile(r"^\s*(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{2}|\d{4})\s*$")
# Year first (ISO 8601, 2020-04-03) is unambiguous; dateutil with dayfirst=True would read it as year-day-month.
_ISO_DATE_SHAPE = re.compile(r"^\s*(\d{4})[/.\- ](\d{1,2})[/.\- ](\d{1,2})\s*$")
# Eight digits typed without separators: DDMMYYYY, as on UK forms.
_COMPACT_DATE_SHAPE = re.compile(r"^\s*(\d{2})(\d{2})(\d{4})\s*$")


def parse_uk_date(
    value: str,
    field: str = "date",
    *,
    allow_future: bool = True,
    allow_past: bool = True,
    required: bool = True,
) -> dt.date | None:
    """Parse a typed date, day first (DD/MM/YYYY). '31/02/2020' is refused, not rolled over."""
    text = (value or "").strip()
    if not text:
        if required:
            raise FieldError(field, "date is required (DD/MM/YYYY)")
        return None
    if len(text) > 40 or not text.isprintable():
        raise FieldError(field, "is not a date; type it as DD/MM/YYYY")
    match = _DATE_SHAPE.match(text) or _COMPACT_DATE_SHAPE.match(text)
    iso = _ISO_DATE_SHAPE.match(text)
    if match or iso:
        if match:
            day, month, year = (int(g) for g in match.groups())
            if len(match.group(3)) == 2:
                raise FieldError(field, "type the year in full, as DD/MM/YYYY")
        else:
            assert iso is not None
            year, month, day = (int(g) for g in iso.groups())
        try:
            result = dt.date(year, month, day)
        except ValueError:
            raise FieldError(field, f"{text} is not a real date (check the day and month)") from None
    else:
        from dateutil import parser as date_parser  # imported on first use: it is slow to import

        try:
            parsed = date_parser.parse(text, dayfirst=True, default=dt.datetime(1900, 1, 1))
            # A part left out ('March 2020', '2020') would silently become the 1st or January: refuse it.
            other = date_parser.parse(text, dayfirst=True, default=dt.datetime(1904, 2, 2))
        except (ValueError, OverflowError):
            raise FieldError(field, f"'{text[:20]}' is not a date; type it as DD/MM/YYYY") from None
        result = parsed.date()
        if other.date() != result:
            raise FieldError(field, "type the whole date: day, month and year, as DD/MM/YYYY")
        if str(result.year) not in text:
            raise FieldError(field, "type the year in full, as DD/MM/YYYY")
    if result.year < 1900:
        raise FieldError(field, "the year must be 1900 or later")
    today = clock.today()
    if not allow_future and result > today:
        raise FieldError(field, "cannot be in the future")
    if not allow_past and result < today:
        raise FieldError(field, "cannot be in the past")
    return result


def parse_date_of_birth(value: str, field: str = "date_of_birth") -> dt.date:
    result = parse_uk_date(value, field, allow_future=False)
    assert result is not None
    if clock.today().year - result.year > 120:
        raise FieldError(field, "is more than 120 years ago; check the year")
    return result


_TIME_SHAPE = re.compile(r"^\s*(\d{1,2})[:.]?(\d{2})\s*$")


def parse_time(value: str, field: str = "time") -> dt.time:
    """Parse a 24-hour clock time such as 09:30, 9.30 or 0930."""
    text = (value or "").strip()
    match = _TIME_SHAPE.match(text)
    if not match:
        raise FieldError(field, "type a time as HH:MM (24-hour clock)")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise FieldError(field, f"{text} is not a time of day (00:00 to 23:59)")
    return dt.time(hour, minute)


def format_uk_date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


# ------------------------------------------------------------------------------------------------------------
# Contact details
# ------------------------------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def validate_email(value: str, field: str = "email", *, required: bool = False) -> str:
    text = (value or "").strip()
    if not text:
        if required:
            raise FieldError(field, "email address is required")
        return ""
    if len(text) > 254 or not _EMAIL.match(text) or ".." in text:
        raise FieldError(field, "is not an email address (name@example.org)")
    return text


def validate_uk_phone(value: str, field: str = "phone", *, required: bool = False) -> str:
    """UK numbers: 01/02/03/07/08 with 10–11 digits, or +44 without the leading 0. Returns a tidy form."""
    text = (value or "").strip()
    if not text:
        if required:
            raise FieldError(field, "phone number is required")
        return ""
    if not re.fullmatch(r"[\d\s()+-]{1,25}", text):
        raise FieldError(field, "phone number may contain digits, spaces, +, - and brackets only")
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        if not digits.startswith("44"):
            raise FieldError(field, "only UK numbers (+44) are accepted")
        digits = "0" + digits[2:]
    if not digits.startswith("0") or digits[1:2] not in {"1", "2", "3", "5", "7", "8"}:
        raise FieldError(field, "is not a UK phone number (it should start 01, 02, 03, 07 or 08)")
    if len(digits) not in (10, 11):
        raise FieldError(field, f"a UK phone number has 10 or 11 digits (this has {len(digits)})")
    if digits.startswith("07"):
        return f"{digits[:5]} {digits[5:]}"
    if digits.startswith("02"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if digits.startswith("01") and "1" in digits[2:4] and len(digits) == 11:  # 0121 496 0000, 0114 496 0000
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    return f"{digits[:5]} {digits[5:]}" if digits.startswith("01") else f"{digits[:4]} {digits[4:7]} {digits[7:]}"


def parse_positive_int(value: str, field: str, *, minimum: int = 0, maximum: int = 10_000) -> int:
    text = (value or "").strip()
    if not re.fullmatch(r"\d{1,6}", text):
        raise FieldError(field, "type a whole number")
    number = int(text)
    if not minimum <= number <= maximum:
        raise FieldError(field, f"must be between {minimum} and {maximum}")
    return number


def form_text(form: object, key: str) -> str:
    """The raw text a form holds for ``key`` ('' when absent)."""
    value = form.get(key, "") if hasattr(form, "get") else ""  # type: ignore[union-attr]
    return "" if value is None else str(value)


def parse_text_fields(
    form: object, errors: FormErrors, limits: dict[str, int], *, required: set[str] | frozenset[str] = frozenset()
) -> dict[str, str]:
    """Clean several single-line text fields at once, collecting errors."""
    values: dict[str, str] = {}
    for key, limit in limits.items():
        cleaned = errors.check(key, clean_text, form_text(form, key), key, max_length=limit, required=key in required)
        if cleaned is not None:
            values[key] = cleaned
    return values


def as_flag(value: object) -> bool:
    """A checkbox value, or typed yes/no."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "y", "yes", "true", "on", "x"}


def parse_multiline(form: object, errors: FormErrors, key: str, max_length: int) -> str | None:
    """A multi-line text field (notes, instructions, addresses), collecting its error."""
    return errors.check(key, clean_text, form_text(form, key), key, max_length=max_length, multiline=True)
