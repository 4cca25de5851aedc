"""The committed student versions (assignments/) and the nbgrader configuration.

assignments/ must be exactly what `make assignments` generates from solutions/ (no drift, no
hand edits), must hide solutions and mark schemes (hidden cases are in solutions/<a>/checks.py,
never in a notebook, and never released), and must be gradable (points on every grade cell, the
python3 kernel).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.converters import GenerateFeedback
from traitlets.config.loader import PyFileConfigLoader

from course_lib.tools.release import (
    CONFIG_FILE,
    RELEASE_DIR,
    SOURCE_DIR,
    assignment_names,
    normalise_notebook,
    release,
)

ROOT = Path(__file__).resolve().parents[1]
RELEASED = sorted((ROOT / RELEASE_DIR).glob("*/*.ipynb"))
SOURCES = sorted((ROOT / SOURCE_DIR).glob("*/*.ipynb"))
SECRETS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN MARK SCHEME", "END MARK SCHEME")


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_every_homework_is_released():
    assert SOURCES, "solutions/ holds no homework"
    assert assignment_names(ROOT) == sorted(p.name for p in (ROOT / RELEASE_DIR).iterdir())
    assert [p.relative_to(ROOT / RELEASE_DIR) for p in RELEASED] == [
        p.relative_to(ROOT / SOURCE_DIR) for p in SOURCES
    ]


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.parent.name)
def test_release_hides_solutions_hidden_tests_and_mark_schemes(path):
    text = path.read_text()
    for secret in SECRETS:
        assert secret not in text
    nb = nbformat.read(path, as_version=4)
    answers = [c for c in nb.cells if _meta(c).get("solution") and c.cell_type == "code"]
    assert answers and all("raise NotImplementedError()" in c.source for c in answers)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", SOURCES + RELEASED, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_are_gradable(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    metas = [_meta(c) for c in nb.cells if _meta(c)]
    assert all(m["schema_version"] == 3 for m in metas)
    ids = [m["grade_id"] for m in metas]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    for meta in metas:
        if meta["grade"]:
            assert meta["points"] > 0, f"{meta['grade_id']} has no points"
        if meta["grade"] and not meta["solution"] or meta["task"]:
            assert meta["locked"], f"{meta['grade_id']} must be read-only"


def test_solutions_and_mark_schemes_exist_in_the_sources():
    """Otherwise test_release_hides_... could pass for want of anything to hide."""
    text = "".join(p.read_text() for p in SOURCES)
    for secret in SECRETS:
        assert secret in text


def test_hidden_checks_are_never_released():
    for name in assignment_names(ROOT):
        assert (ROOT / SOURCE_DIR / name / "checks.py").is_file(), name
        assert not (ROOT / RELEASE_DIR / name / "checks.py").exists(), name


@pytest.mark.slow
def test_assignments_equal_a_fresh_release(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / CONFIG_FILE, course / CONFIG_FILE)
    shutil.copytree(ROOT / SOURCE_DIR, course / SOURCE_DIR)
    name = assignment_names(course)[0]
    (course / SOURCE_DIR / name / "scratch.py").write_text("ANSWER = 42  # must not be released")
    out = tmp_path / "out"
    fresh = release(course, out)
    committed = [p.relative_to(ROOT / RELEASE_DIR) for p in RELEASED]
    assert [p.relative_to(out) for p in fresh] == committed
    for new, old in zip(fresh, RELEASED, strict=True):
        assert new.read_text() == old.read_text(), f"{old} differs: run `make assignments`"
    assert sorted(p.name for p in (out / name).iterdir()) == [f"{name}.ipynb"]  # no scratch.py
    assert not (course / "gradebook.db").exists()  # releasing does not touch the gradebook


def test_normalise_notebook_drops_run_times_only(tmp_path):
    cell = nbformat.v4.new_code_cell("x = 1", metadata={"execution": {"iopub.status.idle": "t"},
                                                         "tags": ["keep"]})
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    normalise_notebook(path)
    assert nbformat.read(path, as_version=4).cells[0].metadata == {"tags": ["keep"]}


def test_release_rejects_a_folder_without_config(tmp_path):
    with pytest.raises(ValueError, match="root must hold nbgrader_config.py"):
        release(tmp_path)
    (tmp_path / CONFIG_FILE).write_text("")
    with pytest.raises(ValueError, match="root must hold a solutions/ folder"):
        release(tmp_path)


@pytest.fixture(scope="module")
def config():
    return PyFileConfigLoader(CONFIG_FILE, path=str(ROOT)).load_config()


def test_feedback_hides_mark_schemes(config):
    preprocessors = GenerateFeedback(config=config).preprocessors
    assert preprocessors[0] == "nbgrader.preprocessors.GetGrades"  # nbgrader's defaults...
    assert preprocessors[-1].endswith("grading.nbgrader_plugins.ClearMarkScheme")  # ...extended


def test_grading_settings(config):
    assert config.CourseDirectory.source_directory == SOURCE_DIR
    assert config.CourseDirectory.release_directory == RELEASE_DIR
    assert config.CourseDirectory.root == str(ROOT)
    assert config.OverwriteCells.add_missing_cells is True
    assert config.ExecutePreprocessor.timeout >= 60
    assert "*.py" in config.CourseDirectory.ignore
