"""First names and their genders and countries, from gender-guesser's ``nam_dict.txt``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

# Country columns 31..85 (1-based; 0-based 30..84) of nam_dict.txt, in the order of the file's
# header, spelled as the header spells them.
COUNTRIES: tuple[str, ...] = (
    "Great Britain", "Ireland", "U.S.A.", "Italy", "Malta", "Portugal", "Spain", "France",
    "Belgium", "Luxembourg", "the Netherlands", "East Frisia", "Germany", "Austria", "Swiss",
    "Iceland", "Denmark", "Norway", "Sweden", "Finland", "Estonia", "Latvia", "Lithuania",
    "Poland", "Czech Republic", "Slovakia", "Hungary", "Romania", "Bulgaria",
    "Bosnia and Herzegovina", "Croatia", "Kosovo", "Macedonia", "Montenegro", "Serbia",
    "Slovenia", "Albania", "Greece", "Russia", "Belarus", "Moldova", "Ukraine", "Armenia",
    "Azerbaijan", "Georgia", "Kazakhstan/Uzbekistan,etc.", "Turkey", "Arabia/Persia", "Israel",
    "China", "India/Sri Lanka", "Japan", "Korea", "Vietnam", "other countries",
)
GENDERS = ("male", "female", "mostly_male", "mostly_female", "unisex")

_GENDER_CODES = {
    "M": "male", "1M": "mostly_male", "?M": "mostly_male",
    "F": "female", "1F": "mostly_female", "?F": "mostly_female",
    "?": "unisex",
}
_NAME_COLS = slice(3, 29)  # the name field
_SORT_COL = 29  # '+' here marks a duplicate line sorted by expanded umlauts: skip it
_FIRST_COUNTRY_COL = 30
_ASCII_NAME = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class NameRecord:
    """One first name of ``nam_dict.txt``.

    - name: lower-case, ASCII letters a-z only, e.g. "emma".
    - gender: one of ``GENDERS``.
    - countries: country (a ``COUNTRIES`` entry) -> frequency 1 (rare) .. 13 (extremely common);
      only the countries where the name occurs. The scale is logarithmic: one step is roughly a
      factor of two in the share of the population.
    """

    name: str
    gender: str
    countries: dict[str, int]

    def popularity(self) -> int:
        """Sum over countries of 2**frequency: a rough total count, used to merge duplicates."""
        return sum(2**f for f in self.countries.values())


def names_path() -> Path:
    """Path of ``nam_dict.txt`` inside the installed ``gender_guesser`` package."""
    return Path(str(resources.files("gender_guesser") / "data" / "nam_dict.txt"))


def parse_name_line(line: str) -> NameRecord | None:
    """Parse one line of ``nam_dict.txt``; None for a line the course does not use.

    Skipped (None): blank lines, ``#`` comments, ``=`` equivalence lines, lines with '+' in
    column 30 (the header asks re-formatters to ignore them), names containing '+' (Arabic,
    Chinese, Korean compound names), and names that are not ASCII letters once lower-cased.

    Inputs:
    - line: one line, with or without its trailing "\\r\\n".

    Returns:
    - a NameRecord, or None.

    Raises ValueError for a line that is too short or has an unknown gender code or a frequency
    that is not a hex digit 1..D.
    """
    line = line.rstrip("\r\n")
    if not line.strip() or line[0] in "#=":
        return None
    if len(line) < _FIRST_COUNTRY_COL + len(COUNTRIES):
        raise ValueError(f"nam_dict line too short ({len(line)} characters): {line!r}")
    name = line[_NAME_COLS].strip()
    if line[_SORT_COL] == "+" or "+" in name:
        return None
    name = name.lower()
    if not _ASCII_NAME.fullmatch(name):
        return None
    code = line[:2].strip()
    if code not in _GENDER_CODES:
        raise ValueError(f"unknown gender code {code!r} in nam_dict line {line!r}")
    countries = {}
    for country, digit in zip(COUNTRIES, line[_FIRST_COUNTRY_COL:], strict=False):
        if digit == " ":
            continue
        if digit not in "123456789ABCD":
            raise ValueError(f"frequency must be a hex digit 1..D, got {digit!r} in {line!r}")
        countries[country] = int(digit, 16)
    return NameRecord(name, _GENDER_CODES[code], countries)


def merge_name_records(records: Sequence[NameRecord]) -> NameRecord:
    """Merge the entries of one name (e.g. "andrea": female in most countries, male in Italy).

    Rule: the gender is that of the most popular entry (largest ``popularity()``; the first in
    file order on a tie) and each country keeps its largest frequency over the entries.
    """
    if not records or len({r.name for r in records}) != 1:
        raise ValueError("records must be a non-empty list of entries of one and the same name")
    if len(records) == 1:
        return records[0]
    top = max(records, key=NameRecord.popularity)  # max keeps the first of equal maxima
    countries: dict[str, int] = {}
    for record in records:
        for country, freq in record.countries.items():
            countries[country] = max(freq, countries.get(country, 0))
    ordered = {c: countries[c] for c in COUNTRIES if c in countries}
    return NameRecord(top.name, top.gender, ordered)


def load_names() -> list[NameRecord]:
    """All ASCII first names of ``nam_dict.txt``, merged by name, sorted alphabetically.

    The file has 48,821 lines; 46,445 name lines are left after the comments, the equivalence
    lines and the lines with '+' in column 30; 34,469 of them are ASCII-letter names; lower-casing
    and merging duplicates (see ``merge_name_records``) gives 33,415 names (measured with
    gender-guesser 0.4.0).

    Returns:
    - records: list of 33,415 NameRecord, sorted by name, names unique.
    """
    entries: dict[str, list[NameRecord]] = {}
    # newline="" keeps "\r\n" (most lines) and bare "\n" (a few) as they are; split on "\n"
    with open(names_path(), encoding="utf-8", newline="") as handle:
        for line in handle.read().split("\n"):
            record = parse_name_line(line)
            if record is not None:
                entries.setdefault(record.name, []).append(record)
    return [merge_name_records(entries[name]) for name in sorted(entries)]
