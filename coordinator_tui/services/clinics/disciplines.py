"""The disciplines of ``data/disciplines.toml``: clinic-day defaults and the names families read.

A light module (no database, no solver) so the itinerary builder can use it. Public API::

    discipline_defaults(path=None) -> dict[str, DisciplineDefault]
    canonical_discipline(name, path=None) -> str      # aliases mapped: "liver" -> "hepatology"
    default_for(discipline) -> DisciplineDefault      # a discipline not in the file: 30 minutes, its name as label
    family_name(discipline, path=None) -> str         # "Eye clinic (ophthalmology)", for itineraries
    is_round_table(discipline, path=None) -> bool     # the closing meeting ("kind = round_table" in the file)

Each ``[disciplines.<name>]`` table may give ``label`` (the coordinator's word, default the name capitalised) and
``family`` (the plain-language name families read on itineraries and detailed calendar titles, default the label).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from coordinator_tui.config import shipped_data_file


@dataclass(frozen=True)
class DisciplineDefault:
    name: str
    label: str
    minutes: int
    kind: str = "consultation"
    fasting: bool = False
    default: bool = False
    family: str = ""  # the plain-language name for families ("" in the file: the label)


@dataclass(frozen=True)
class DisciplineTable:
    disciplines: dict[str, DisciplineDefault]
    aliases: dict[str, str]


def capitalised(text: str) -> str:
    """The first letter upper-case, the rest as written ('eye clinic (ENT)' -> 'Eye clinic (ENT)')."""
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=4)
def _load_table(path: str) -> DisciplineTable:
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    table: dict[str, DisciplineDefault] = {}
    for name, entry in raw.get("disciplines", {}).items():
        label = str(entry.get("label", name.capitalize()))
        table[name] = DisciplineDefault(
            name=name,
            label=label,
            minutes=int(entry.get("minutes", 30)),
            kind=str(entry.get("kind", "consultation")),
            fasting=bool(entry.get("fasting", False)),
            default=bool(entry.get("default", False)),
            family=capitalised(str(entry.get("family", "")) or label),
        )
    aliases = {str(k).lower(): str(v) for k, v in raw.get("aliases", {}).items()}
    return DisciplineTable(table, aliases)


def _table(path: Path | None = None) -> DisciplineTable:
    return _load_table(str(path or shipped_data_file("disciplines.toml")))


def discipline_defaults(path: Path | None = None) -> dict[str, DisciplineDefault]:
    return dict(_table(path).disciplines)


def canonical_discipline(name: str, path: Path | None = None) -> str:
    key = name.strip().lower()
    return _table(path).aliases.get(key, key)


def default_for(discipline: str) -> DisciplineDefault:
    name = canonical_discipline(discipline)
    return _table().disciplines.get(name, DisciplineDefault(name, name.capitalize(), 30))


def family_name(discipline: str, path: Path | None = None) -> str:
    """What families read for a discipline: its ``family`` name in the file, else its label; a discipline the
    file does not know is shown as recorded, capitalised ('' stays '')."""
    known = _table(path).disciplines.get(canonical_discipline(discipline, path))
    return known.family if known is not None else capitalised(discipline)


def is_round_table(discipline: str, path: Path | None = None) -> bool:
    """Whether ``discipline`` is the closing round-table meeting (its kind in the file is ``round_table``)."""
    known = _table(path).disciplines.get(canonical_discipline(discipline, path))
    return known is not None and known.kind == "round_table"
