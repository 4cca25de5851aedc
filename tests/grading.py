"""Grade fake students' submissions of a homework with the real nbgrader (a reusable harness).

A homework is only as good as its grader. The grader of homework ``<a>`` is right when

- the solution gets every autograded point and the untouched release gets none;
- a known-wrong answer to one exercise (a *mutant*) loses exactly that exercise's points: the test
  cell of that exercise scores 0 and every other test cell its full points;
- a right answer that uses a forbidden module (a *shortcut* mutant) loses exactly its exercise:
  the module is absent where the answer is graded;
- a deleted or edited test or set-up cell changes nothing;
- the feedback shows one line per hidden check and never a hidden case.

This module builds such submissions from the instructor notebook (``solutions/<a>/<a>.ipynb``)
and the student release (``assignments/<a>/<a>.ipynb``), grades them with the real
``nbgrader autograde`` command line and the course's nbgrader_config.py (sandboxed kernel,
scores decided by course_lib.grading) in temporary copies of the course, two in parallel (one
kernel start per student, so batching is what keeps it fast), and reads every score back from the
gradebooks. nbgrader's exit code is not trusted, nor is ``nbgrader validate``.

Conventions of the homework notebooks:

- an answer cell (nbgrader ``solution``) holds code between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``, which the release replaces by nbgrader's stub;
- the exercise's single test cell (``grade`` with points) is the first grade cell after it, and
  ``solutions/<a>/checks.py`` names both in one Exercise;
- a mutant is a file ``tests/mutants/<a>/<answer grade_id>__<short name>.py`` holding the whole
  source of that answer cell, whose first line is a comment saying what is wrong with it
  (``# WRONG: ...`` or ``# FORBIDDEN: ...``); a mutant named ``shortcut`` (or ``shortcut_<how>``)
  is a right answer that uses a forbidden module.

``GradingSuite`` holds the checks every homework shares (the notebook's structure and the graded
round trip); ``tests/test_grading_<a>.py`` subclasses it with the homework's constants and adds
the comparisons of its solutions with independent references.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import html
import importlib.util
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader.api import Gradebook, MissingEntry

from course_lib.grading.checker import (
    answer_sources,
    exercise_job,
    judge,
    reference_results,
    run_answers,
    set_up_source,
)
from course_lib.grading.checks import load_checks
from course_lib.tools.release import CONFIG_FILE, RELEASE_DIR, SOURCE_DIR, nbgrader

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
# nbgrader's default stubs (ClearSolutions.code_stub["python"] and ClearSolutions.text_stub)
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
TEXT_STUB = "YOUR ANSWER HERE"
ROOT = Path(__file__).resolve().parents[1]  # the course
MUTANTS_DIR = ROOT / "tests" / "mutants"
SHORTCUT = "shortcut"  # a mutant whose name starts with this uses a forbidden module
WORKERS = 2  # autograde runs in parallel (one per core of the course's 2-core machines)
# time limit while tests grade (one kernel cell, one exercise): no endless loop costs minutes
TEST_TIMEOUT = 15


# ----------------------------------------------------------------------------- notebook anatomy
def source_notebook(assignment: str):
    """The instructor notebook solutions/<assignment>/<assignment>.ipynb (a fresh node)."""
    return nbformat.read(ROOT / SOURCE_DIR / assignment / f"{assignment}.ipynb", as_version=4)


def release_notebook(assignment: str):
    """The student release assignments/<assignment>/<assignment>.ipynb (a fresh node)."""
    return nbformat.read(ROOT / RELEASE_DIR / assignment / f"{assignment}.ipynb", as_version=4)


def is_set_up_or_answer(cell) -> bool:
    """Whether the cell is the set-up cell or an answer cell (what a solution namespace runs)."""
    return bool(nbgrader_meta(cell).get("solution")) or grade_id(cell) == "setup"


def run_cells(nb, keep=lambda cell: True, **namespace) -> dict:
    """Run the code cells of nb that keep(cell) accepts, in order, in one namespace.

    Inputs:
    - nb: a notebook node; keep: cell -> bool (default: every code cell).
    - namespace: initial globals (e.g. __name__="ps02_solution").

    Returns:
    - the namespace after the last cell (the solution markers are comments, so they run as is).
    """
    for cell in nb.cells:
        if cell.cell_type == "code" and keep(cell):
            exec(cell.source, namespace)
    return namespace


def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata ({} for a plain cell)."""
    return cell.metadata.get("nbgrader", {})


def grade_id(cell) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def autograded_points(source_nb) -> dict[str, float]:
    """{grade_id: points} of the autograded cells (code grade cells); manual answers left out."""
    return {
        grade_id(c): float(nbgrader_meta(c)["points"])
        for c in source_nb.cells
        if nbgrader_meta(c).get("grade") and c.cell_type == "code"
    }


def exercise_test_cells(source_nb) -> dict[str, str]:
    """{answer grade_id: grade_id of its test cell} for every autograded answer cell."""
    pairs, answer = {}, None
    for cell in source_nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and not meta.get("grade") and cell.cell_type == "code":
            answer = grade_id(cell)
        elif meta.get("grade") and cell.cell_type == "code" and answer is not None:
            pairs[answer] = grade_id(cell)
            answer = None
    return pairs


def solution_regions(source: str) -> list[list[str]]:
    """The lines between each BEGIN SOLUTION / END SOLUTION pair of a cell source, in order."""
    regions, current = [], None
    for line in source.split("\n"):
        if line.strip() == BEGIN_SOLUTION:
            current = []
        elif line.strip() == END_SOLUTION:
            regions.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return regions


def fill_stubs(released: str, regions: list[list[str]]) -> str:
    """A released answer cell with its code stubs replaced by the given regions, in order.

    Inputs:
    - released: source of the cell in the release (one CODE_STUB per solution region).
    - regions: list of R line lists (each line keeps its own indentation).

    Returns:
    - the source a student who wrote exactly those regions would submit.
    """
    lines, out, used, i = released.split("\n"), [], 0, 0
    while i < len(lines):
        pair = tuple(line.strip() for line in lines[i : i + 2])
        if pair == CODE_STUB:
            if used == len(regions):
                raise ValueError("released has more code stubs than there are regions")
            out += regions[used]
            used, i = used + 1, i + 2
        else:
            out.append(lines[i])
            i += 1
    if used != len(regions):
        raise ValueError(f"released has {used} code stubs for {len(regions)} solution regions")
    return "\n".join(out)


def make_submission(
    release_nb,
    source_nb,
    replace: dict[str, str] | None = None,
    delete: tuple[str, ...] = (),
    written: str = "A written answer.",
):
    """A student notebook: the release with every answer written.

    Inputs:
    - release_nb, source_nb: the release and instructor notebooks (nbformat nodes).
    - replace: {grade_id: whole cell source} for the cells written differently: answers
      (mutants, shortcuts) or even locked cells (a student who edits a test); every other code
      answer cell gets the solution regions of source_nb.
    - delete: grade_ids of cells the student deleted.
    - written: text of every manually graded markdown answer.

    Returns:
    - a new notebook node (release_nb is not modified).
    """
    replace = dict(replace or {})
    sources = {grade_id(c): c.source for c in source_nb.cells if grade_id(c)}
    unknown = (set(replace) | set(delete)) - set(sources)
    if unknown:
        raise ValueError(f"replace/delete name cells absent from the notebook: {sorted(unknown)}")
    nb = copy.deepcopy(release_nb)
    nb.cells = [c for c in nb.cells if grade_id(c) not in delete]
    for cell in nb.cells:
        gid, meta = grade_id(cell), nbgrader_meta(cell)
        if gid in replace:
            cell.source = replace.pop(gid)
        elif not meta.get("solution"):
            continue
        elif cell.cell_type == "code":
            cell.source = fill_stubs(cell.source, solution_regions(sources[gid]))
        else:
            cell.source = cell.source.replace(TEXT_STUB, written)
    return nb


# ----------------------------------------------------------------------------------- mutants
@dataclass(frozen=True)
class Mutant:
    """A wrong (or forbidden) answer to one exercise, read from tests/mutants/<a>/."""

    answer_id: str  # grade_id of the answer cell it replaces
    name: str  # short name, from the file name
    source: str  # whole source of the answer cell
    why: str  # its first line: what is wrong with it

    @property
    def student(self) -> str:
        return f"{self.answer_id}__{self.name}"


def load_mutants(folder) -> list[Mutant]:
    """Every ``<answer grade_id>__<name>.py`` of a folder, sorted by file name."""
    mutants = []
    for path in sorted(Path(folder).glob("*__*.py")):
        answer_id, name = path.stem.split("__", 1)
        source = path.read_text().rstrip("\n")
        first = source.split("\n", 1)[0]
        if not first.startswith("#"):
            raise ValueError(f"{path.name} must start with a comment saying what is wrong")
        mutants.append(Mutant(answer_id, name, source, first.lstrip("# ").strip()))
    return mutants


@functools.cache
def assignment_mutants(assignment: str) -> tuple[Mutant, ...]:
    """The mutants of tests/mutants/<assignment>/ (read once)."""
    return tuple(load_mutants(MUTANTS_DIR / assignment))


def mutant_source(assignment: str, student: str) -> str:
    """Source of the mutant whose student id (``<answer id>__<name>``) is given."""
    return next(m.source for m in assignment_mutants(assignment) if m.student == student)


def is_shortcut(mutant: Mutant) -> bool:
    """Whether the mutant is a right answer that calls the library."""
    return mutant.name.startswith(SHORTCUT)


def visible_test_passes(assignment: str, answer_source: str, answer_id: str) -> bool:
    """Whether the visible test cell of an exercise passes when its answer cell holds
    answer_source (run in-process after the set-up cell; a student's view, not the grader's)."""
    nb = source_notebook(assignment)
    namespace = run_cells(nb, lambda cell: grade_id(cell) == "setup")
    exec(answer_source, namespace)
    test_id = exercise_test_cells(nb)[answer_id]
    test = next(c for c in nb.cells if grade_id(c) == test_id)
    try:
        exec(test.source, namespace)
    except AssertionError:
        return False
    return True


def mutant_rounds(mutants) -> list[dict[str, Mutant]]:
    """The mutants dealt into rounds, one graded student each: round r holds the r-th mutant of
    every exercise that has one ({answer grade_id: mutant}).

    Grading one student per round instead of one per mutant is sound because an answer reaches
    only its own exercise (each exercise runs on the set-up cell and its own answer cell alone:
    ``test_an_answer_reaches_only_its_own_exercise``), so a round's scores are those its mutants
    would each get alone.
    """
    by_answer: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_answer.setdefault(mutant.answer_id, []).append(mutant)
    count = max((len(group) for group in by_answer.values()), default=0)
    return [{answer: group[r] for answer, group in by_answer.items() if r < len(group)}
            for r in range(count)]


def round_student(index: int) -> str:
    return f"mutants_round{index}"


def same(a, b) -> bool:
    """Whether two results (arrays, numbers, nested tuples / lists / dicts of them) are close."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(same(u, v) for u, v in zip(a, b, strict=True))
    if isinstance(a, str) or a is None:
        return a == b
    return np.allclose(a, b)


# ---------------------------------------------------------------------------------- grading
@dataclass
class GradedCourse:
    """Temporary courses after autograde runs (students split between WORKERS copies).

    - roots: {student: the course folder that graded them}; assignment, notebook_id: what.
    - scores: {student: {grade_id: auto score}} (manual cells score None); a student whose
      notebook nbgrader could not grade is absent.
    - log: nbgrader's output (stdout + stderr of every run), for failure messages.
    """

    roots: dict[str, Path]
    assignment: str
    notebook_id: str
    scores: dict[str, dict[str, float | None]]
    log: str

    def autograded_path(self, student: str) -> Path:
        root = self.roots[student]
        return root / "autograded" / student / self.assignment / f"{self.notebook_id}.ipynb"

    def autograded_notebook(self, student: str):
        return nbformat.read(self.autograded_path(student), as_version=4)

    def cell_errors(self, student: str) -> dict[str, str]:
        """{grade_id: "ErrorName: message"} of the graded code cells that raised."""
        errors = {}
        for cell in self.autograded_notebook(student).cells:
            for out in cell.get("outputs", []):
                if out.output_type == "error" and grade_id(cell):
                    errors[grade_id(cell)] = f"{out.ename}: {out.evalue}"
        return errors

    def feedback_html(self, student: str) -> str:
        """The student's feedback HTML (generated with the course config at the first call)."""
        root = self.roots[student]
        path = root / "feedback" / student / self.assignment / f"{self.notebook_id}.html"
        if not path.exists():  # one nbgrader run makes every student's feedback of this copy
            nbgrader(root, "generate_feedback", self.assignment, "--force")
        return path.read_text()


def copy_course(root, assignment: str, dest) -> Path:
    """Copy what grading needs (config, source and release of one assignment) into dest."""
    root, dest = Path(root), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(root / CONFIG_FILE, dest / CONFIG_FILE)
    for folder in (SOURCE_DIR, RELEASE_DIR):
        shutil.copytree(root / folder / assignment, dest / folder / assignment)
    return dest


def write_submission(course: Path, assignment: str, student: str, notebook_id: str, nb) -> Path:
    """Put a student's notebook (a node, or raw bytes for a broken file) in submitted/."""
    target = course / "submitted" / student / assignment / f"{notebook_id}.ipynb"
    target.parent.mkdir(parents=True)
    if isinstance(nb, bytes):
        target.write_bytes(nb)
    else:
        nbformat.write(nb, target, version=nb.get("nbformat", 4))
    return target


def deal(courses: list[Path], assignment: str, submissions: dict, notebook_id: str):
    """Write the submissions into the course copies, students in sorted order round robin;
    returns {student: its course copy}."""
    roots = {}
    for i, student in enumerate(sorted(submissions)):
        roots[student] = courses[i % len(courses)]
        write_submission(roots[student], assignment, student, notebook_id, submissions[student])
    return roots


def prepare_course(root, assignment: str, workdir) -> tuple[Path, str]:
    """A temporary course copy with the assignment in its gradebook; returns (course, log)."""
    course = copy_course(root, assignment, workdir)
    log = nbgrader(course, "generate_assignment", assignment, "--force").stderr
    return course, log


def autograde(root, assignment: str, submissions: dict, workdir, notebook_id=None,
              workers: int = WORKERS, courses=None, timeout: float = TEST_TIMEOUT
              ) -> GradedCourse:
    """Grade many students' notebooks with ``nbgrader autograde``, in parallel course copies.

    Inputs:
    - root: the course (nbgrader_config.py, solutions/<assignment>, assignments/<assignment>).
    - assignment: its name.
    - submissions: {student id: notebook node or raw bytes}; ids made of letters, digits and
      underscores. Students are dealt to the copies in sorted order, round robin.
    - workdir: an empty folder for the temporary course copies.
    - notebook_id: file stem of the graded notebook; None means the assignment's name.
    - workers: number of course copies graded at the same time.
    - courses: already prepared course folders (see prepare_course), one per worker, or None;
      if they already hold the submissions (see deal), pass submissions all the same.
    - timeout: seconds allowed to one cell in the kernel and to one exercise in the checker.

    Returns:
    - GradedCourse with every student's scores.
    """
    if not submissions:
        raise ValueError("submissions must hold at least one student")
    notebook_id = notebook_id or assignment
    students = sorted(submissions)
    workers = max(1, min(workers, len(students)))
    log = ""
    already_dealt = courses is not None and (Path(courses[0]) / "submitted").exists()
    if courses is None:
        prepared = [prepare_course(root, assignment, Path(workdir) / f"course{i}")
                    for i in range(workers)]
        courses, log = [c for c, _ in prepared], "".join(lg for _, lg in prepared)
    roots = ({s: courses[i % workers] for i, s in enumerate(students)} if already_dealt
             else deal(courses, assignment, submissions, notebook_id))

    def run(course):
        done = nbgrader(course, "autograde", assignment, "--create",
                        f"--ExecutePreprocessor.timeout={timeout}",
                        f"--DecideScores.max_exercise_seconds={timeout}",
                        check=False)
        return done.stdout + done.stderr

    with ThreadPoolExecutor(workers) as pool:
        log += "".join(pool.map(run, courses[:workers]))
    scores = {}
    for student in students:
        with Gradebook(f"sqlite:///{roots[student] / 'gradebook.db'}") as gb:
            try:
                graded = gb.find_submission_notebook(notebook_id, assignment, student)
            except MissingEntry:
                continue
            scores[student] = {g.name: g.auto_score for g in graded.grades}
    return GradedCourse(roots, assignment, notebook_id, scores, log)


def assert_scores(graded: GradedCourse, student: str, want: dict[str, float]) -> None:
    """Assert that the student was graded and got exactly want on those cells."""
    assert student in graded.scores, f"{student} was not graded:\n{graded.log[-3000:]}"
    got = {gid: graded.scores[student][gid] for gid in want}
    assert got == want, f"{student}: {got} != {want}; errors {graded.cell_errors(student)}"


def hidden_texts(assignment: str) -> list[str]:
    """The cases and fixture lines of an assignment's checks.py that its release does not show
    (the secrets that no feedback may contain)."""
    checks = load_checks(ROOT / SOURCE_DIR / assignment)
    texts = [c.expr for e in checks.exercises for c in e.case_list]
    texts += [line.strip() for e in checks.exercises for line in e.fixture.splitlines()
              if len(line.strip()) > 15]
    shown = "\n".join(c.source for c in release_notebook(assignment).cells)
    return [t for t in texts if t not in shown and t.replace('"', "'") not in shown]


# ------------------------------------------------------------------------- the shared checks
class GradingSuite:
    """The checks every homework's grader must pass; subclass it as ``TestPsXX...``.

    pytest collects only classes named ``Test*``, so this base never runs by itself. The subclass
    sets:

    - ASSIGNMENT: the homework's name; EXERCISES: its answer grade_ids, in notebook order.
    - POINTS: total of the autograded points, or the exact {test grade_id: points}.
    - WRITTEN_ID: grade_id of the manually graded answer; WRITTEN_ANSWER: the solution's text.
    - DELETED: the test cell the "deleter" student removes.
    - FEEDBACK_STUDENT: a mutant that passes the visible tests and fails hidden cases.
    - CORE_FORBIDDEN: the modules that implement the exercises (every module importing one of
      them must be forbidden too).
    - VISIBLE_CATCHES: mutants (student ids) that the visible tests must catch: the common
      mistakes a student should see before submitting.
    """

    ASSIGNMENT: str
    EXERCISES: tuple[str, ...]
    POINTS: float | dict[str, float]
    WRITTEN_ID: str
    WRITTEN_ANSWER: str
    DELETED: str
    FEEDBACK_STUDENT: str
    CORE_FORBIDDEN: tuple[str, ...]
    VISIBLE_CATCHES: tuple[str, ...] = ()

    @classmethod
    def source(cls):
        return source_notebook(cls.ASSIGNMENT)

    @classmethod
    def mutants(cls) -> tuple[Mutant, ...]:
        return assignment_mutants(cls.ASSIGNMENT)

    @classmethod
    def points(cls) -> dict[str, float]:
        return autograded_points(cls.source())

    @classmethod
    def checks(cls):
        return load_checks(ROOT / SOURCE_DIR / cls.ASSIGNMENT)

    @classmethod
    def rounds(cls) -> list[dict[str, Mutant]]:
        return mutant_rounds(cls.mutants())

    @classmethod
    def round_of(cls, mutant: Mutant) -> tuple[str, dict[str, Mutant]]:
        """(graded student id, its round) of the round that holds the mutant."""
        index = next(i for i, r in enumerate(cls.rounds()) if r.get(mutant.answer_id) == mutant)
        return round_student(index), cls.rounds()[index]

    def pytest_generate_tests(self, metafunc):
        """Parametrize ``mutant`` by every mutant."""
        if "mutant" in metafunc.fixturenames:
            metafunc.parametrize("mutant", self.mutants(), ids=lambda m: m.student)
        if "caught" in metafunc.fixturenames:
            metafunc.parametrize("caught", self.VISIBLE_CATCHES)

    # -------------------------------------------------------------- the notebook's structure
    def test_every_exercise_has_one_test_cell_checks_two_mutants_and_a_shortcut(self):
        pairs = exercise_test_cells(self.source())
        assert list(pairs) == list(self.EXERCISES)
        assert set(pairs.values()) == set(self.points())  # one test per exercise
        assert {e.answer: e.test for e in self.checks().exercises} == pairs  # all graded
        for answer in pairs:
            mutants = [m for m in self.mutants() if m.answer_id == answer]
            assert any(is_shortcut(m) for m in mutants), f"{answer} needs a shortcut mutant"
            wrong = [m.name for m in mutants if not is_shortcut(m)]
            assert len(wrong) >= 2, f"{answer} needs >= 2 wrong mutants, has {wrong}"
        assert {m.answer_id for m in self.mutants()} == set(pairs)
        assert all(m.why.startswith(("WRONG:", "FORBIDDEN:")) for m in self.mutants())

    def test_points_and_manual_question(self):
        nb = self.source()
        points = autograded_points(nb)
        assert (points if isinstance(self.POINTS, dict) else sum(points.values())) == self.POINTS
        manual = [
            c for c in nb.cells if nbgrader_meta(c).get("grade") and c.cell_type == "markdown"
        ]
        assert [grade_id(c) for c in manual] == [self.WRITTEN_ID]
        assert nbgrader_meta(manual[0])["points"] == 3 and nbgrader_meta(manual[0])["solution"]
        schemes = [c for c in nb.cells if "BEGIN MARK SCHEME" in c.source]
        assert len(schemes) == 1 and nbgrader_meta(schemes[0])["task"]

    def test_no_notebook_holds_a_hidden_case(self):
        """Hidden cases live in checks.py only: no notebook the student's kernel runs has them."""
        for nb in (self.source(), release_notebook(self.ASSIGNMENT)):
            text = nbformat.writes(nb)
            assert "HIDDEN TESTS" not in text and "check_no_shortcut" not in text
        assert len(hidden_texts(self.ASSIGNMENT)) >= len(self.EXERCISES)  # some stay hidden

    def test_forbidden_modules_exist(self):
        """A misspelt forbidden module would forbid nothing."""
        for name in self.checks().forbidden:
            assert importlib.util.find_spec(name) is not None, name

    def test_forbidden_modules_include_every_module_built_on_the_core_ones(self):
        forbidden = self.checks().forbidden
        assert set(self.CORE_FORBIDDEN) <= set(forbidden)
        for path in sorted((ROOT / "course_lib").glob("*.py")):
            imported = set(re.findall(r"^\s*(?:from|import) (course_lib\.\w+)",
                                      path.read_text(), re.M))
            if imported & set(self.CORE_FORBIDDEN):
                assert f"course_lib.{path.stem}" in forbidden, f"{path.stem} imports {imported}"

    def test_notebook_and_fixtures_use_no_forbidden_module(self):
        """The visible tests run in the graded kernel too, where these modules are absent."""
        checks = self.checks()
        code = "".join(c.source for c in self.source().cells if c.cell_type == "code")
        for text in [code] + [e.fixture for e in checks.exercises]:
            assert not any(name in text for name in checks.forbidden)

    def test_answers_do_not_use_the_library(self):
        """The solutions themselves use no forbidden module."""
        forbidden = self.checks().forbidden
        for cell in self.source().cells:
            if nbgrader_meta(cell).get("solution") and cell.cell_type == "code":
                assert not any(m in cell.source for m in forbidden), grade_id(cell)

    def test_visible_tests_catch_the_common_mistakes(self, caught):
        source = mutant_source(self.ASSIGNMENT, caught)
        assert not visible_test_passes(self.ASSIGNMENT, source, caught.split("__", 1)[0])

    def test_solution_passes_its_visible_tests_and_the_feedback_mutant_too(self):
        answers = answer_sources(self.source())
        for answer in self.EXERCISES:
            assert visible_test_passes(self.ASSIGNMENT, answers[answer], answer), answer
        feedback = self.FEEDBACK_STUDENT
        assert visible_test_passes(self.ASSIGNMENT, mutant_source(self.ASSIGNMENT, feedback),
                                   feedback.split("__", 1)[0])

    def test_an_answer_reaches_only_its_own_exercise(self):
        """What the grader runs for an exercise holds no other answer cell: a mutant changes
        its own exercise's job and leaves every other job as the solution's."""
        checks, source = self.checks(), self.source()
        set_up, answers = set_up_source(source), answer_sources(source)
        for mutant in self.mutants():
            mutated = {**answers, mutant.answer_id: mutant.source}
            for exercise in checks.exercises:
                jobs = [exercise_job(checks, set_up, a, exercise) for a in (answers, mutated)]
                assert (jobs[0] != jobs[1]) == (exercise.answer == mutant.answer_id)

    # ----------------------------------------------------------- the real grader, end to end
    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory) -> GradedCourse:
        """One autograde run: solution, release, deleter, tamperer, the feedback student and one
        student per round of mutants (see mutant_rounds)."""
        source, release = cls.source(), release_notebook(cls.ASSIGNMENT)
        submissions = {
            "solution": make_submission(release, source, written=cls.WRITTEN_ANSWER),
            "release": release,
            "deleter": make_submission(release, source, delete=(cls.DELETED,)),
            "tamperer": make_submission(release, source, replace=cls.tampering()),
            cls.FEEDBACK_STUDENT: make_submission(release, source, replace={
                cls.FEEDBACK_STUDENT.split("__", 1)[0]:
                    mutant_source(cls.ASSIGNMENT, cls.FEEDBACK_STUDENT)}),
        }
        for index, mutants in enumerate(cls.rounds()):
            submissions[round_student(index)] = make_submission(
                release, source, replace={a: m.source for a, m in mutants.items()})
        return autograde(ROOT, cls.ASSIGNMENT, submissions, tmp_path_factory.mktemp("course"))

    @classmethod
    def tampering(cls) -> dict[str, str]:
        """A wrong answer hidden by a set-up cell that patches numpy's and math's comparisons
        and a test cell turned into a print: {grade_id: source}."""
        wrong = next(m for m in cls.mutants() if not is_shortcut(m))
        test = exercise_test_cells(cls.source())[wrong.answer_id]
        lenient = ("import math\nimport numpy as np\n"
                   "np.allclose = math.isclose = lambda *a, **k: True\n"
                   "np.array_equal = lambda *a, **k: True\n")
        return {"setup": lenient, wrong.answer_id: lenient + wrong.source,
                test: "print('all visible tests passed')"}

    @pytest.mark.slow
    def test_solution_gets_every_autograded_point(self, graded):
        assert_scores(graded, "solution", self.points())
        assert graded.scores["solution"][self.WRITTEN_ID] is None  # graded by hand
        notebook = graded.autograded_notebook("solution")
        errors = [out for c in notebook.cells for out in c.get("outputs", [])
                  if out.output_type == "error"]
        assert errors == []  # no cell fails, graded or not (demos are skipped while grading)

    @pytest.mark.slow
    def test_release_gets_zero(self, graded):
        assert_scores(graded, "release", {gid: 0.0 for gid in self.points()})

    @pytest.mark.slow
    def test_mutant_loses_exactly_its_exercise(self, graded, mutant):
        """Its exercise scores 0 with failed checks; the exercises its round left right score
        in full (and no answer reaches another exercise, as tested above)."""
        tests = exercise_test_cells(self.source())
        student, mutants = self.round_of(mutant)
        assert_scores(graded, student, {**self.points(), **{tests[a]: 0.0 for a in mutants}})
        assert "checks failed" in graded.cell_errors(student)[tests[mutant.answer_id]]

    @pytest.mark.slow
    def test_edited_set_up_and_test_cells_change_nothing(self, graded):
        wrong = next(gid for gid in self.tampering() if gid in self.EXERCISES)
        test_id = exercise_test_cells(self.source())[wrong]
        assert_scores(graded, "tamperer", {**self.points(), test_id: 0.0})

    @pytest.mark.slow
    def test_deleted_test_cell_is_restored_and_graded(self, graded):
        assert_scores(graded, "deleter", self.points())
        cells = graded.autograded_notebook("deleter").cells
        assert [grade_id(c) for c in cells if grade_id(c) == self.DELETED] == [self.DELETED]

    @pytest.mark.slow
    def test_feedback_shows_one_line_per_check_and_no_case(self, graded):
        student = self.FEEDBACK_STUDENT
        answer = student.split("__", 1)[0]
        test_id = exercise_test_cells(self.source())[answer]
        assert "checks failed" in graded.cell_errors(student)[test_id]
        text = html.unescape(re.sub(r"<[^>]+>", "", graded.feedback_html(student)))  # untagged
        assert f"{answer}(" in text  # the visible tests are shown...
        assert "hidden check 1: passed" in text and "FAILED" in text  # ...one line per check...
        for secret in ("MARK SCHEME", *hidden_texts(self.ASSIGNMENT)):
            assert secret not in text  # ...but no hidden case, fixture or mark scheme

    def test_shortcuts_are_right_where_the_library_is_there(self):
        """A shortcut mutant must be a right answer (it fails only because its module is
        absent): graded with nothing forbidden, its exercise passes."""
        checks = dataclasses.replace(self.checks(), forbidden=())
        source = self.source()
        reference = reference_results(self.checks(), source)
        for mutant in filter(is_shortcut, self.mutants()):
            exercise = next(e for e in checks.exercises if e.answer == mutant.answer_id)
            answers = {**answer_sources(source), mutant.answer_id: mutant.source}
            got = run_answers(checks, set_up_source(source), answers, [exercise])
            verdict = judge(exercise, got[exercise.test], reference[exercise.test])
            assert verdict.ok, f"{mutant.student} is not a right answer: {verdict}"
