"""What an instructor writes to grade one exercise: hidden cases, kept out of every notebook.

Each assignment has ``solutions/<assignment>/checks.py`` (never released: ``*.py`` is in
``CourseDirectory.ignore``) defining

- ``FORBIDDEN``: modules the student's code must do without (e.g. ``"course_lib.ngram"``); they
  are absent from every sandbox that runs the submission, kernel and checks alike;
- ``EXERCISES``: one ``Exercise`` per autograded answer cell.

An exercise is graded in a fresh sandboxed process that runs the trusted set-up cell, then the
student's answer cell, then ``fixture`` (trusted code that builds inputs), then evaluates each
case expression. The same is done with the instructor's answer cell, in another process; the
exercise's points are won when every case of the student gives the reference's value (or raises
one of the errors the reference's case allows). The visible asserts of the notebook are students'
help only; repeat their cases here.

Write fixtures that never contain a correct answer to the exercise they grade (a reference for
another exercise is fine: each exercise's process sees only its own fixture).
"""

from __future__ import annotations

import runpy
from dataclasses import dataclass, field
from pathlib import Path

CHECKS_FILE = "checks.py"


@dataclass(frozen=True)
class Case:
    """One hidden check: a Python expression evaluated after the answer cell and the fixture.

    - expr: e.g. ``"padded_ngrams([], 2)"``; its value (or the error it raises) is compared.
    - errors: when the reference raises, the error names a student may raise instead of the
      reference's own (e.g. ``("ValueError", "TypeError")``); empty means the reference's.
    - rtol, atol: tolerances for numbers and arrays.
    """

    expr: str
    errors: tuple[str, ...] = ()
    rtol: float = 1e-6
    atol: float = 1e-9


@dataclass(frozen=True)
class Exercise:
    """The hidden checks of one autograded answer cell.

    - answer: grade_id of the answer cell; test: grade_id of the test cell that holds its points.
    - cases: Case objects or plain expression strings.
    - fixture: trusted code run after the answer cell, defining what the cases use.
    - timeout: wall-clock seconds for the whole exercise (answer cell, fixture and cases).
    """

    answer: str
    test: str
    cases: tuple = ()
    fixture: str = ""
    timeout: float = 60.0
    case_list: list[Case] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if not self.cases:
            raise ValueError(f"exercise {self.answer!r} needs at least one case")
        cases = [c if isinstance(c, Case) else Case(c) for c in self.cases]
        if not all(isinstance(c.expr, str) and c.expr.strip() for c in cases):
            raise TypeError(f"cases of {self.answer!r} must be expression strings or Case objects")
        object.__setattr__(self, "case_list", cases)


@dataclass(frozen=True)
class AssignmentChecks:
    """Everything checks.py of one assignment defines."""

    forbidden: tuple[str, ...]
    exercises: tuple[Exercise, ...]

    def by_test(self) -> dict[str, Exercise]:
        """{test cell grade_id: Exercise}."""
        return {e.test: e for e in self.exercises}


def load_checks(folder) -> AssignmentChecks:
    """Read ``<folder>/checks.py`` (the instructor's source folder of one assignment).

    Raises FileNotFoundError when it is missing, ValueError when it is malformed.
    """
    path = Path(folder) / CHECKS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: every autograded assignment needs one")
    names = runpy.run_path(str(path))
    exercises = tuple(names.get("EXERCISES", ()))
    forbidden = tuple(names.get("FORBIDDEN", ()))
    if not exercises or not all(isinstance(e, Exercise) for e in exercises):
        raise ValueError(f"{path} must define EXERCISES, a non-empty list of Exercise")
    if not all(isinstance(m, str) and m for m in forbidden):
        raise ValueError(f"{path}: FORBIDDEN must be a tuple of module names")
    tests = [e.test for e in exercises]
    if len(set(tests)) != len(tests):
        raise ValueError(f"{path}: two exercises name the same test cell")
    return AssignmentChecks(forbidden, exercises)
