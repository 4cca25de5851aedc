"""course_lib.grading's parts, one at a time (the whole chain is in test_grading_* and
test_hostile_grading, through real nbgrader)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import textwrap
from collections import Counter

import nbformat
import numpy as np
import pytest
import torch
from traitlets.config.loader import PyFileConfigLoader

from course_lib.grading import checker, sandbox
from course_lib.grading.checks import AssignmentChecks, Case, Exercise, load_checks
from course_lib.grading.nbgrader_plugins import rebuild_on_release, verdict_outputs
from course_lib.grading.plain import MAX_NUMBERS, TooLarge, encode, same

needs_bwrap = pytest.mark.skipif(
    sandbox.enabled() and shutil.which("bwrap") is None,
    reason="bubblewrap is not installed (apt-get install bubblewrap)",
)


# ------------------------------------------------------------------------------ plain values
@pytest.mark.parametrize("value", [
    None, True, 3, 2.5, "s", [1, (2, "x")], {"a": [1.0]}, Counter({"a": 2}), {1, 2},
    np.arange(6.0).reshape(2, 3), np.array([True, False]), torch.ones(2, 2), np.float32(1.5),
    float("nan"), math.inf,
])
def test_encode_is_json_and_same_as_itself(value):
    plain = encode(value)
    assert same(json.loads(json.dumps(plain)), plain)


@pytest.mark.parametrize("got, want", [
    (np.ones((1, 3)), np.ones(3)),  # no broadcasting
    ([1, 2], (1, 2)),  # a list is not a tuple
    (True, 1),  # a bool is not a number
    (np.array([True]), np.array([1.0])),
    (np.array([1.0, math.nan]), np.array([1.0, 2.0])),
    ({"a": 1}, {"a": 1, "b": 2}),
    ("1", 1),
    (object(), 1),
    (1.0 + 1e-5, 1.0),
])
def test_same_refuses_what_differs(got, want):
    assert not same(encode(got), encode(want))


def test_same_tolerates_rounding_and_order():
    assert same(encode(1.0 + 1e-9), encode(1.0))
    assert same(encode({"b": 2, "a": 1}), encode({"a": 1, "b": 2}))
    assert same(encode(np.array([math.nan, 1])), encode(np.array([math.nan, 1])))
    assert same(encode(np.float32(0.1)), encode(0.1), rtol=1e-6)
    assert not same({"t": "num", "v": "1"}, encode(1))  # forged plain values are refused


def test_encode_refuses_huge_results():
    with pytest.raises(TooLarge):
        encode(np.zeros(MAX_NUMBERS + 1))


# ----------------------------------------------------------------------------------- checks
def test_load_checks_reads_and_validates(tmp_path):
    with pytest.raises(FileNotFoundError, match="checks.py"):
        load_checks(tmp_path)
    (tmp_path / "checks.py").write_text("EXERCISES = []\n")
    with pytest.raises(ValueError, match="EXERCISES"):
        load_checks(tmp_path)
    (tmp_path / "checks.py").write_text(textwrap.dedent("""
        from course_lib.grading.checks import Exercise
        EXERCISES = [Exercise("f", "t", cases=("f()",)), Exercise("g", "t", cases=("g()",))]
    """))
    with pytest.raises(ValueError, match="same test cell"):
        load_checks(tmp_path)
    with pytest.raises(ValueError, match="at least one case"):
        Exercise("f", "t")


# ---------------------------------------------------------------------------------- workers
SET_UP = "import numpy as np"
CHECKS = AssignmentChecks(("course_lib.ngram",), (
    Exercise("f", "test_f", cases=("f(3)", Case("f(-1)", errors=("ValueError", "TypeError")))),
    Exercise("g", "test_g", cases=("g()", "g() + 1"), timeout=5),
))
RIGHT = {"f": "def f(n):\n    if n < 0:\n        raise ValueError(n)\n    return np.arange(n)",
         "g": "def g():\n    return 1"}


def grade(answers):
    reference = checker.run_answers(CHECKS, SET_UP, RIGHT)
    got = checker.run_answers(CHECKS, SET_UP, {**RIGHT, **answers})
    return {e.answer: checker.judge(e, got[e.test], reference[e.test]).passed
            for e in CHECKS.exercises}


@needs_bwrap
def test_right_answers_pass_and_the_allowed_error_is_accepted():
    assert grade({}) == {"f": [True, True], "g": [True, True]}
    raising_type_error = RIGHT["f"].replace("ValueError", "TypeError")
    assert grade({"f": raising_type_error})["f"] == [True, True]


@needs_bwrap
@pytest.mark.parametrize("answer, passed", [
    ("import os\nos._exit(0)", [False, False]),  # the process died: not run
    ("def g():\n    return 1\nexit()", [True, True]),  # exit() after the definition is fair
    ("import warnings\ndef g():\n    warnings.warn('x')\n    print('noise' * 1000)\n    return 1",
     [True, True]),
    ("def g():\n    while True:\n        pass", [False, False]),  # timeout
    ("def g():\n    return np.int64(1)", [True, True]),
    ("def g():\n    return True", [False, True]),  # True is no 1, but True + 1 is 2
    ("import numpy\nnumpy.array_equal = lambda *a: True\ndef g():\n    return 2", [False, False]),
    ("import course_lib.ngram\ndef g():\n    return 1", [False, False]),  # absent module
])
def test_each_exercise_runs_alone_and_only_its_values_count(answer, passed):
    verdicts = grade({"g": answer})
    assert verdicts["g"] == passed
    assert verdicts["f"] == [True, True]  # the other exercise is untouched


@needs_bwrap
def test_processes_left_by_an_exercise_are_gone_before_the_next_one():
    checks = AssignmentChecks((), (
        Exercise("a", "ta", cases=("a()",)),
        Exercise("b", "tb", cases=("b()",)),
    ))
    leaver = ("import subprocess\nP = subprocess.Popen(['sleep', '1000'], start_new_session=True)"
              "\nopen('pid', 'w').write(str(P.pid))\ndef a():\n    return 1")
    alive = textwrap.dedent("""
        def b():  # alive: the process exists and is neither a zombie nor dead
            try:
                stat = open('/proc/' + open('pid').read() + '/stat').read()
            except OSError:
                return False
            return stat.rsplit(')', 1)[1].split()[0] not in 'ZX'
    """)
    got = checker.run_answers(checks, "", {"a": leaver, "b": alive})
    assert got["tb"][0]["value"] == encode(False)


@needs_bwrap
def test_the_sandbox_hides_the_course_the_network_and_forbidden_modules(tmp_path):
    solutions = str(sandbox.Path.cwd() / "solutions")
    probe = textwrap.dedent(f"""
        import os, socket, json
        out = {{"uid": os.getuid(), "course": os.path.exists({solutions!r})}}
        try:
            import course_lib.ngram
            out["ngram"] = True
        except ImportError:
            out["ngram"] = False
        try:
            socket.create_connection(("127.0.0.1", 22), timeout=1)
            out["net"] = True
        except OSError:
            out["net"] = False
        print(json.dumps(out))
    """)
    command = sandbox.command([sys.executable, "-c", probe], tmp_path, ["course_lib.ngram"])
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    seen = json.loads(done.stdout)
    assert seen == {"uid": sandbox.SANDBOX_UID, "course": False, "ngram": False, "net": False}


def test_missing_bubblewrap_stops_grading_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv(sandbox.SANDBOX_ENV, raising=False)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.command(["true"], "/tmp")
    monkeypatch.setenv(sandbox.SANDBOX_ENV, "off")
    assert sandbox.command(["true"], "/tmp")[0] == "prlimit"


# ------------------------------------------------------------------------ nbgrader plug-ins
def _cell(kind, source, **nbgrader):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    if nbgrader:
        cell.metadata["nbgrader"] = nbgrader
    return cell


def test_rebuild_on_release_keeps_only_the_students_answers():
    release = nbformat.v4.new_notebook(cells=[
        _cell("markdown", "intro"),
        _cell("code", "setup", grade_id="setup", locked=True),
        _cell("code", "stub", grade_id="ans", solution=True),
        _cell("code", "visible tests", grade_id="test", grade=True, locked=True, points=2),
        _cell("code", "try it"),
    ])
    submitted = nbformat.from_dict(json.loads(nbformat.writes(release)))
    submitted.cells[1].source = "hacked setup"
    submitted.cells[2].source = "my answer"
    submitted.cells[2].metadata.nbgrader.update(grade=True, points=100)
    submitted.cells[3].metadata.nbgrader["grade_id"] = "renamed"
    submitted.cells[4].source = "my experiment"
    submitted.cells.insert(3, _cell("code", "my helper"))
    submitted.cells.append(_cell("code", "unknown", grade_id="extra", grade=True, points=5))
    out = rebuild_on_release(submitted, release, {"setup": "instructor setup"})
    assert [c.source for c in out.cells] == [
        "intro", "instructor setup", "my answer", "my helper", "visible tests", "my experiment"]
    assert out.cells[2].metadata.nbgrader == release.cells[2].metadata.nbgrader
    assert "nbgrader" not in out.cells[3].metadata


def test_verdict_outputs_say_only_passed_or_failed():
    outputs = verdict_outputs(checker.Verdict([True, False], ["", checker.NOT_RUN]))
    assert outputs[0].text.splitlines() == [
        "hidden check 1: passed", f"hidden check 2: FAILED ({checker.NOT_RUN})"]
    assert outputs[1].output_type == "error" and "1 of 2" in outputs[1].evalue
    assert len(verdict_outputs(checker.Verdict([True], [""]))) == 1


def test_course_config_is_plain_data():
    """Strings, not classes: the formgrader can serialise it."""
    from course_lib.grading.checker import GraderError  # noqa: F401 - importable

    config = PyFileConfigLoader("nbgrader_config.py", path=str(sandbox.Path(__file__).parents[1]))
    json.dumps(config.load_config())
