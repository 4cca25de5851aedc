"""Syllabus coverage: every concept and notation of the source lectures is taught somewhere.

The course is built from five lecture decks (the *seeds*: ``../shared/seeds/README.md`` beside
the repository). The rule is that each of their concepts and notations is explained in a lecture
notebook. The table ``tests/syllabus.toml`` has one row per concept: its seed decks, its course
part (1..6), the notebook that teaches it, and case-insensitive regexes that must ALL match that
notebook's markdown, with whitespace runs collapsed to one space. Code cells do not count: a
concept is taught when it is explained in prose or formulas, not when a variable happens to bear
its name.

- rows whose notebook exists are checked; every missing (concept, regex) pair is reported in one
  failure message;
- rows whose notebook does not exist yet are the plan for that part: a skipped test lists how
  many concepts await which notebook;
- the table itself is checked (parts, notebook names, seed decks, regexes that can fail).

The seed folder lives outside the repository (``$COURSE_SEEDS_DIR``, default
``../shared/seeds`` beside the repository); only the test that opens the deck files needs it.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections import Counter
from functools import cache
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
TABLE = Path(__file__).with_name("syllabus.toml")
NOTEBOOK_DIR = ROOT / "notebooks"
SEEDS_DIR = Path(
    os.environ.get("COURSE_SEEDS_DIR", Path(__file__).resolve().parents[2] / "shared" / "seeds")
)
PARTS = range(1, 7)


@cache
def load_table() -> dict:
    """The parsed table: ``parts`` {"1": notebook stem}, ``seeds`` {id: file}, ``concept`` rows."""
    return tomllib.loads(TABLE.read_text(encoding="utf-8"))


def notebook_path(stem: str) -> Path:
    return NOTEBOOK_DIR / f"{stem}.ipynb"


def markdown_text(nb: nbformat.NotebookNode) -> str:
    """All markdown cells of a notebook as one string, each whitespace run replaced by a space."""
    cells = (cell.source for cell in nb.cells if cell.cell_type == "markdown")
    return " ".join(" ".join(source.split()) for source in cells)


def missing_patterns(rows: list[dict], texts: dict[str, str]) -> list[tuple[str, str, str]]:
    """Every (concept name, notebook, regex) whose regex does not match the notebook's text.

    Inputs:
    - rows: table rows with keys ``name``, ``notebook`` and ``patterns``; rows whose notebook is
      not a key of ``texts`` are ignored.
    - texts: notebook stem -> its markdown text (see ``markdown_text``).

    Returns the misses in table order (empty when everything is taught).
    """
    return [
        (row["name"], row["notebook"], pattern)
        for row in rows
        if row["notebook"] in texts
        for pattern in row["patterns"]
        if not re.search(pattern, texts[row["notebook"]], re.IGNORECASE)
    ]


def existing_texts(rows: list[dict]) -> dict[str, str]:
    """Markdown text of every notebook named in ``rows`` that exists on disk."""
    stems = {row["notebook"] for row in rows if notebook_path(row["notebook"]).exists()}
    return {stem: markdown_text(nbformat.read(notebook_path(stem), as_version=4)) for stem in stems}


# ----------------------------------------------------------------------------- coverage
def test_every_concept_of_an_existing_notebook_is_taught():
    rows = load_table()["concept"]
    texts = existing_texts(rows)
    if not texts:
        pytest.skip("no lecture notebook of the syllabus exists yet")
    misses = missing_patterns(rows, texts)
    if misses:
        report = "\n".join(f"- {name}  [{nb}]  regex: {pattern}" for name, nb, pattern in misses)
        concepts = len({name for name, _, _ in misses})
        pytest.fail(f"{concepts} concept(s) not taught in their notebook's markdown:\n{report}")


def test_concepts_of_planned_notebooks():
    rows = load_table()["concept"]
    absent = [row["notebook"] for row in rows if not notebook_path(row["notebook"]).exists()]
    waiting = Counter(absent)
    if waiting:
        plan = ", ".join(f"{stem} ({count} concepts)" for stem, count in sorted(waiting.items()))
        pytest.skip(f"{sum(waiting.values())} concepts await notebooks not written yet: {plan}")


# ----------------------------------------------------------------------------- the table itself
def test_table_rows_are_well_formed():
    table = load_table()
    assert sorted(table["parts"]) == [str(part) for part in PARTS]
    names = [row["name"] for row in table["concept"]]
    assert len(names) == len(set(names)), "concept names must be unique"
    for row in table["concept"]:
        assert set(row) == {"name", "seeds", "part", "notebook", "patterns"}, row["name"]
        assert row["part"] in PARTS, f"{row['name']}: part must be 1..6"
        expected = table["parts"][str(row["part"])]
        assert row["notebook"] == expected, f"{row['name']}: part {row['part']} is {expected}"
        assert row["seeds"] and set(row["seeds"]) <= set(table["seeds"]), row["name"]
        assert row["patterns"], f"{row['name']}: no regex"


def test_every_regex_compiles_and_can_fail():
    for row in load_table()["concept"]:
        for pattern in row["patterns"]:
            regex = re.compile(pattern, re.IGNORECASE)  # raises re.error on a broken regex
            assert not regex.search(""), f"{row['name']}: {pattern!r} matches the empty text"


def test_every_seed_and_part_has_concepts():
    table = load_table()
    rows = table["concept"]
    assert set(table["seeds"]) == {seed for row in rows for seed in row["seeds"]}
    assert {row["part"] for row in rows} == set(PARTS)


def test_table_names_the_notebooks_that_exist():
    """A renamed notebook must not silently turn its rows into 'planned'."""
    planned = load_table()["parts"]
    for path in NOTEBOOK_DIR.glob("0[1-6]_*.ipynb"):
        part = str(int(path.name[:2]))
        assert path.stem == planned[part], f"{path.name}: the table plans {planned[part]}.ipynb"


def test_seed_files_exist():
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"seed folder {SEEDS_DIR} not present (set COURSE_SEEDS_DIR)")
    decks = {path.name for path in SEEDS_DIR.glob("*.txt")}
    assert set(load_table()["seeds"].values()) == decks


# ----------------------------------------------------------------------------- the checker
def test_checker_reads_only_markdown_and_reports_each_miss():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("The chain\n   rule of probability."),
        nbformat.v4.new_code_cell("# Markov assumption\nmarkov = 1"),
    ]
    text = markdown_text(nb)
    assert text == "The chain rule of probability."
    row = {"name": "toy", "notebook": "nb", "patterns": ["CHAIN RULE", "markov", "bag of words"]}
    assert missing_patterns([row], {"nb": text}) == [
        ("toy", "nb", "markov"),
        ("toy", "nb", "bag of words"),
    ]
    assert missing_patterns([row], {}) == []


def test_checker_flags_every_row_on_an_unrelated_notebook():
    rows = load_table()["concept"]
    texts = {row["notebook"]: "Lorem ipsum dolor sit amet." for row in rows}
    misses = missing_patterns(rows, texts)
    assert {name for name, _, _ in misses} == {row["name"] for row in rows}
