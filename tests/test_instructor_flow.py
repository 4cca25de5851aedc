"""The instructor's commands of the README, run literally and in order on a fresh copy.

The README block marked ``instructor-commands`` is the whole cycle of a homework: release,
collect, grade, feedback, export. Between release and collect, one student fetches the homework
from the (local) exchange, writes the solution into it and submits it, as a student would. The
test then reads the exported grades and the released feedback, and checks that no command printed
one of the warnings nbgrader gives for a misconfigured course.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from grading import ROOT, make_submission, release_notebook, source_notebook

ASSIGNMENT = "ps01_ngrams"
MARKER = "<!-- instructor-commands"
COURSE_FILES = ("Makefile", "pyproject.toml", "nbgrader_config.py", "solutions", "assignments")
# what nbgrader prints when the course is misconfigured, or a release is not what it graded
BAD_SIGNS = ("not recognized", "not recognised", "not serializable", "has changed",
             "Traceback", "No assignment with ID")


def readme_commands() -> list[str]:
    """The lines of the README's instructor block, comments removed."""
    text = (ROOT / "README.md").read_text()
    block = re.search(re.escape(MARKER) + r".*?```bash\n(.*?)```", text, re.S)
    assert block, "README.md has no instructor-commands block"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line]


def fresh_course(dest: Path) -> Path:
    dest.mkdir()
    for name in COURSE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        else:
            shutil.copy2(source, dest / name)
    return dest


def student_submits(course: Path, home: Path, env: dict) -> None:
    """A student fetches the homework, writes the solution in it and submits it."""
    exchange = [f"--Exchange.root={course / 'exchange'}", "--course", "seqmodels-nlp"]
    run = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*run, "fetch_assignment", ASSIGNMENT, *exchange], cwd=home, env=env,
                   check=True, capture_output=True)
    path = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    fetched = nbformat.read(path, as_version=4)
    assert fetched.cells[1].source == release_notebook(ASSIGNMENT).cells[1].source
    nbformat.write(make_submission(fetched, source_notebook(ASSIGNMENT)), path)
    subprocess.run([*run, "submit", ASSIGNMENT, *exchange], cwd=home, env=env, check=True,
                   capture_output=True)


@pytest.mark.slow
def test_readme_instructor_commands_run_as_written(tmp_path):
    commands = readme_commands()
    assert commands[0] == "make assignments" and any(c.startswith("make grade") for c in commands)
    course, home = fresh_course(tmp_path / "course"), tmp_path / "student"
    home.mkdir()
    venv_bin = Path(sys.executable).parent
    stamp = tmp_path / "installed"  # the course copy uses this test's venv, already installed
    time.sleep(0.01)
    stamp.touch()
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
           "VENV": str(venv_bin.parent), "STAMP": str(stamp)}
    outputs = []
    for command in commands:
        if command.startswith("nbgrader collect"):
            student_submits(course, home, env)
        done = subprocess.run(command, shell=True, cwd=course, env=env, capture_output=True,
                              text=True)
        outputs.append(f"$ {command}\n{done.stdout}{done.stderr}")
        assert done.returncode == 0, outputs[-1][-3000:]
        bad = [sign for sign in BAD_SIGNS if sign in done.stdout + done.stderr]
        assert not bad, f"{bad}:\n{outputs[-1][-3000:]}"
    with open(course / "grades.csv") as f:
        rows = [row for row in csv.DictReader(f) if row["assignment"] == ASSIGNMENT]
    assert len(rows) == 1
    assert float(rows[0]["raw_score"]) == 20.0  # every autograded point; the written one by hand
    feedback = list((course / "exchange" / "seqmodels-nlp" / "feedback").glob("*.html"))
    assert len(feedback) == 1
