"""Fictional spreadsheets for the import tests and benchmark: a caseload of patients (NHS numbers in the 999 test
range, names that are obviously made up) and two family contacts for each, as CSV files."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from coordinator_tui.validation import format_nhs_number, nhs_check_digit

PATIENT_HEADER = ["NHS number", "Hospital number", "Given name", "Family name", "Date of birth", "Condition"]
CONTACT_HEADER = ["Patient NHS number", "Contact name", "Relationship", "Phone", "Email", "Preferred method"]


def nhs_numbers(count: int, *, start: int = 500_000) -> list[str]:
    """``count`` valid NHS numbers in the 999 test range (never issued to a person)."""
    numbers: list[str] = []
    serial = start
    while len(numbers) < count:
        first_nine = f"999{serial:06d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            numbers.append(f"{first_nine}{check}")
        serial += 1
    return numbers


def caseload_rows(count: int) -> tuple[list[list[str]], list[list[str]]]:
    """Rows of ``count`` fictional patients and of two contacts each."""
    patients: list[list[str]] = []
    contacts: list[list[str]] = []
    for index, nhs in enumerate(nhs_numbers(count)):
        born = dt.date(2005, 1, 1) + dt.timedelta(days=(index * 37) % 5400)
        family = f"Testfamily{index:05d}"
        patients.append(
            [format_nhs_number(nhs), f"FICT{index:05d}", f"Testchild{index:05d}", family, f"{born:%d/%m/%Y}", ""]
        )
        for parent, method in (("Alex", "phone"), ("Sam", "email")):
            contacts.append(
                [
                    nhs,
                    f"{parent} {family}",
                    "parent",
                    f"07700 900{index % 1000:03d}",
                    f"{parent.lower()}.{family.lower()}@example.org",
                    method,
                ]
            )
    return patients, contacts


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_caseload(folder: Path, count: int) -> tuple[Path, Path]:
    """patients.csv and contacts.csv of ``count`` fictional patients with two contacts each, in ``folder``."""
    patients, contacts = caseload_rows(count)
    return (
        write_csv(folder / "patients.csv", PATIENT_HEADER, patients),
        write_csv(folder / "contacts.csv", CONTACT_HEADER, contacts),
    )
