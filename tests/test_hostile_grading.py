"""Hostile submissions: every way a student might forge a grade, or break grading, gains nothing.

One real ``nbgrader autograde`` run (tests/grading.py) grades, for a homework, a blank or a full
notebook with each trick applied, between two honest bystanders. Each gets exactly its expected
score; the bystanders get full marks; no file of the course outside the students' own autograded
folders changes (checked again some seconds later, for processes left behind); no hidden case
reaches any feedback; outputs stay small.

The tricks are built from the homework's own cells, so the suite is generic: HOSTILE_ASSIGNMENTS
lists the homework it runs on (set COURSE_HOSTILE_ALL=1 to run it on every homework).
"""

from __future__ import annotations

import copy
import hashlib
import html
import os
import re
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from grading import (
    ROOT,
    WORKERS,
    assert_scores,
    autograde,
    autograded_points,
    deal,
    exercise_test_cells,
    grade_id,
    hidden_texts,
    make_submission,
    nbgrader_meta,
    prepare_course,
    release_notebook,
    source_notebook,
)

from course_lib.tools.release import assignment_names

HOSTILE_ASSIGNMENTS = (
    assignment_names(ROOT) if os.environ.get("COURSE_HOSTILE_ALL") == "1" else ["ps01_ngrams"]
)
CANARY = Path("/tmp") / f"course-hostile-canary-{uuid.uuid4().hex}"  # no submission may write it
# seconds per cell and per exercise: the endless loop and the sleeper each wait it out twice
HOSTILE_TIMEOUT = 8
LATER = 6  # seconds to wait before looking again for changes made by processes left behind

PATCH_COMPARISONS = """import math
import numpy as np
np.allclose = math.isclose = np.array_equal = lambda *a, **k: True
"""
INPUT_TRANSFORMER = """get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
"""
AST_TRANSFORMER = """import ast
class _Empty(ast.NodeTransformer):
    def visit_Module(self, node):
        return ast.Module(body=[ast.Pass()], type_ignores=[])
get_ipython().ast_transformers.append(_Empty())
"""
READ_SOLUTIONS = """import glob, json, os
_found = []
for _pattern in ("{course}/solutions/*/*.ipynb", "../../../solutions/*/*.ipynb",
                 "/**/solutions/*/*.ipynb"):
    _found += glob.glob(_pattern, recursive=True)
for _path in _found:
    for _cell in json.load(open(_path))["cells"]:
        if _cell["cell_type"] == "code":
            try:
                exec("".join(_cell["source"]), globals())
            except Exception:
                pass
"""
VANDAL = """import os, subprocess
for _path in ("{course}/gradebook.db", "{course}/nbgrader_config.py", "{canary}"):
    try:
        open(_path, "w").write("owned")
    except OSError:
        pass
subprocess.Popen(["sh", "-c", "sleep 3; echo owned > {course}/gradebook.db; echo x > {canary}"],
                 start_new_session=True)
"""
KILL_PARENT = """import os, signal
for _pid in (os.getppid(), 1):
    try:
        os.kill(_pid, signal.SIGKILL)
    except OSError:
        pass
"""
HUGE_PRINT = 'print("x" * 200_000_000)\n'


def _code(source: str):
    return nbformat.v4.new_code_cell(source)


def _with_cell(nb, source: str, at: int | None = None):
    nb = copy.deepcopy(nb)
    nb.cells.insert(len(nb.cells) if at is None else at, _code(source))
    return nb


def _prefix_answer(nb, answer: str, prefix: str):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if grade_id(cell) == answer:
            cell.source = prefix + cell.source
    return nb


def _edit_meta(nb, gid: str, **changes):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if grade_id(cell) == gid:
            cell.metadata.nbgrader.update(changes)
    return nb


def _first_function(answer_source: str) -> str:
    return re.search(r"^def (\w+)\(", answer_source, re.M).group(1)


def hostile_submissions(assignment: str, course: Path):
    """{student: (notebook node or bytes, expected {test grade_id: points})}."""
    source, release = source_notebook(assignment), release_notebook(assignment)
    full = autograded_points(source)
    zero = dict.fromkeys(full, 0.0)
    tests = exercise_test_cells(source)
    first = next(iter(tests))
    first_lost = {**full, tests[first]: 0.0}
    solution = make_submission(release, source)
    answer = next(c.source for c in solution.cells if grade_id(c) == first)
    name = _first_function(answer)

    no_meta = copy.deepcopy(release)
    for cell in no_meta.cells:
        if nbgrader_meta(cell).get("grade") or grade_id(cell) == "setup":
            cell.metadata.pop("nbgrader")
    lenient_setup = copy.deepcopy(release)
    lenient_setup.cells = [c for c in lenient_setup.cells if grade_id(c) != "setup"]
    lenient_setup.cells.insert(1, _code(PATCH_COMPARISONS + "raises = lambda *a, **k: True\n"))
    renamed = copy.deepcopy(solution)
    for cell in renamed.cells:
        if grade_id(cell) == tests[first]:
            cell.metadata.nbgrader["grade_id"] = "my_own_test"
    reordered = copy.deepcopy(solution)
    reordered.cells = reordered.cells[::-1]
    no_answer = copy.deepcopy(solution)
    no_answer.cells = [c for c in no_answer.cells if grade_id(c) != first]
    version3 = nbformat.convert(copy.deepcopy(solution), 3)

    def before_def(code: str) -> str:
        return answer.replace(f"def {name}(", f"{code}\n\n\ndef {name}(", 1)

    endless = before_def("while True:\n    pass")
    sleepy = before_def("import time\ntime.sleep(10**6)")
    bomb = before_def("_hog = bytearray(16 * 1024**3)")
    warns = before_def("import warnings\nwarnings.warn('careful')")
    return {
        "aaa_bystander": (solution, full),
        "patch_comparisons": (_prefix_answer(release, first, PATCH_COMPARISONS), zero),
        "lenient_set_up_copy": (lenient_setup, zero),
        "stripped_metadata": (no_meta, zero),
        "input_transformer": (_with_cell(release, INPUT_TRANSFORMER, at=2), zero),
        "ast_transformer": (_with_cell(release, AST_TRANSFORMER, at=2), zero),
        "read_solutions": (_with_cell(release, READ_SOLUTIONS.format(course=course), at=2), zero),
        "vandal": (_with_cell(solution, VANDAL.format(course=course, canary=CANARY)), full),
        "kill_parent": (_with_cell(solution, KILL_PARENT), full),
        "print_own_cell": (_with_cell(solution, "print(In)\nprint(Out)\n"), full),
        "huge_print": (_with_cell(solution, HUGE_PRINT), full),
        "warning": (make_submission(release, source, replace={first: warns}), full),
        "exit_last": (_with_cell(solution, "exit()\n"), full),
        "os_exit_last": (_with_cell(solution, "import os\nos._exit(0)\n"), full),
        "renamed_grade_id": (renamed, full),
        "answer_marked_grade": (_edit_meta(solution, first, grade=True, points=100), full),
        "reordered_cells": (reordered, full),
        "deleted_answer": (no_answer, first_lost),
        "endless_loop": (make_submission(release, source, replace={first: endless}), first_lost),
        "sleep": (make_submission(release, source, replace={first: sleepy}), first_lost),
        "memory_bomb": (make_submission(release, source, replace={first: bomb}), first_lost),
        "invalid_json": (b'{"cells": [', zero),
        "empty_notebook": (nbformat.v4.new_notebook(), zero),
        "nbformat_v3": (version3, full),
        "zzz_bystander": (solution, full),
    }


def snapshot(course: Path) -> dict[str, str]:
    """{relative path: sha256} of the course's files that no student may change."""
    out = {}
    for path in sorted(course.rglob("*")):
        rel = path.relative_to(course)
        written_by_the_grader = rel.parts[0] in ("autograded", "feedback", ".grading-cache")
        if path.is_file() and not written_by_the_grader and path.name not in (
            "gradebook.db", "gradebook.db-journal"
        ):
            out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module", params=HOSTILE_ASSIGNMENTS)
def hostile(request, tmp_path_factory):
    """(graded course, expected scores, snapshots before / after / some seconds later)."""
    assignment = request.param
    workdir = tmp_path_factory.mktemp("hostile")
    courses = [prepare_course(ROOT, assignment, workdir / f"course{i}")[0]
               for i in range(WORKERS)]
    # every submission names course0's path; each course gets a copy of every notebook
    cases = hostile_submissions(assignment, courses[0])
    submissions = {s: nb for s, (nb, _) in cases.items()}
    deal(courses, assignment, submissions, assignment)
    before = [snapshot(c) for c in courses]
    graded = autograde(ROOT, assignment, submissions, workdir, courses=courses,
                       timeout=HOSTILE_TIMEOUT)
    after = [snapshot(c) for c in courses]
    time.sleep(LATER)
    later = [snapshot(c) for c in courses]
    return graded, {s: want for s, (_, want) in cases.items()}, before, after, later


@pytest.mark.slow
def test_each_hostile_submission_gets_exactly_its_expected_score(hostile):
    graded, expected, *_ = hostile
    wrong = {}
    for student, want in expected.items():
        got = graded.scores.get(student)
        got = None if got is None else {gid: got.get(gid) for gid in want}
        if got != want:
            wrong[student] = (got, want)
    assert not wrong, f"{wrong}\n{graded.log[-4000:]}"


@pytest.mark.slow
def test_bystanders_graded_before_and_after_get_full_marks(hostile):
    graded, expected, *_ = hostile
    for student in ("aaa_bystander", "zzz_bystander"):
        assert_scores(graded, student, expected[student])


@pytest.mark.slow
def test_no_file_outside_the_students_own_folders_changes(hostile):
    _, _, before, after, later = hostile
    assert after == before and later == before
    assert not CANARY.exists()


@pytest.mark.slow
def test_no_feedback_holds_a_hidden_case_or_a_huge_output(hostile):
    graded, expected, *_ = hostile
    secrets = ["MARK SCHEME", *hidden_texts(graded.assignment)]
    for student in expected:
        if student not in graded.scores:
            continue
        assert graded.autograded_path(student).stat().st_size < 2_000_000, student
        text = html.unescape(re.sub(r"<[^>]+>", "", graded.feedback_html(student)))
        leaked = [s for s in secrets if s in text]
        assert not leaked, (student, leaked)
        assert len(text) < 2_000_000, student
