"""nbgrader plug-ins that make autograding safe (wired in by the course's nbgrader_config.py).

- ``TolerantExporter``: a submission that is not a readable notebook (invalid JSON, empty file,
  too large) is graded as an empty notebook instead of crashing nbgrader.
- ``SanitizeSubmission`` (sanitize step): rebuild the submission on the release.
- ``SandboxedExecute`` (autograde step): nbgrader's Execute with the kernel in the sandbox; a
  kernel that dies or exits mid-notebook ends the run, never the grading.
- ``CapOutputs``: every cell's outputs are cut to a byte budget.
- ``DecideScores``: the scores, decided outside the kernel (see ``checker``).
- ``ClearMarkScheme``: nbgrader's, quiet in ``generate_feedback`` (nbgrader's own warns that
  the HTML exporter's ``display_data_priority`` setting is "not recognized").

See ``course_lib.grading`` for the whole design.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbconvert.exporters import NotebookExporter
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearMarkScheme as NbgraderClearMarkScheme
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Float, Integer, List

from course_lib.grading import sandbox
from course_lib.grading.checker import grade_notebook, nbgrader_meta
from course_lib.grading.checks import load_checks

MAX_NOTEBOOK_BYTES = 50 * 1024**2  # a bigger "notebook" is not read at all
PASSED, FAILED = "passed", "FAILED"
CACHE_DIR = ".grading-cache"  # reference results, in the course folder (no sandbox sees it)


def _course(config) -> CourseDirectory:
    return CourseDirectory(config=config)


def _source_folder(config, assignment: str) -> Path:
    course = _course(config)
    return Path(course.format_path(course.source_directory, ".", assignment))


def _release_notebook(config, assignment: str, notebook: str):
    course = _course(config)
    folder = Path(course.format_path(course.release_directory, ".", assignment))
    return nbformat.read(folder / f"{notebook}.ipynb", as_version=4)


def _source_notebook(config, assignment: str, notebook: str):
    return nbformat.read(_source_folder(config, assignment) / f"{notebook}.ipynb", as_version=4)


# ------------------------------------------------------------------------------ reading it
class TolerantExporter(NotebookExporter):
    """NotebookExporter that reads an unreadable submission as an empty notebook."""

    def from_filename(self, filename, resources=None, **kw):
        try:
            if os.path.getsize(filename) > MAX_NOTEBOOK_BYTES:
                raise ValueError(f"larger than {MAX_NOTEBOOK_BYTES} bytes")
            nb = nbformat.read(filename, as_version=4)
            nbformat.validate(nb)
        except Exception as error:  # noqa: BLE001 - any unreadable file is graded as empty
            self.log.warning("%s is not a readable notebook (%s): graded as empty", filename, error)
            nb = nbformat.v4.new_notebook()
        return self.from_notebook_node(nb, resources=resources, **kw)


# ----------------------------------------------------------------------------- sanitizing it
def _key(cell) -> str | None:
    """What identifies a cell across release and submission: its grade_id, else its cell id."""
    return nbgrader_meta(cell).get("grade_id") or cell.get("id")


def rebuild_on_release(submitted, release, locked_sources=None):
    """The submission re-laid on the release notebook.

    Cells come in release order with the release's metadata and, for every cell but the answer
    cells (and the student's own unlocked plain cells), the release's source; a locked cell named
    in ``locked_sources`` ({grade_id: source}, the instructor's version, e.g. a task cell with its
    mark scheme) takes that source, as nbgrader's OverwriteCells would. An answer cell
    takes the student's source when the student's cell of that grade_id has the same type.
    Cells the student added (no nbgrader metadata, unknown id) stay after the release cell they
    followed; cells with an unknown grade_id are dropped.

    Inputs: submitted, release: notebook nodes; locked_sources: dict or None.
    Returns: a new notebook node.
    """
    locked_sources = locked_sources or {}
    release_keys = {_key(c) for c in release.cells}
    chosen, added, anchor = {}, {}, None
    for cell in submitted.cells:
        key = _key(cell)
        if key in release_keys and key not in chosen:
            chosen[key], anchor = cell, key
        elif not nbgrader_meta(cell) and cell.cell_type in ("code", "markdown"):
            added.setdefault(anchor, []).append(cell)
    out = copy.deepcopy(release)
    out.cells = []
    out.cells += _plain_copies(added.get(None, []))
    for original in release.cells:
        cell = copy.deepcopy(original)
        student = chosen.get(_key(original))
        meta = nbgrader_meta(original)
        editable = meta.get("solution") or (not meta and original.cell_type == "code")
        if meta.get("locked") and meta.get("grade_id") in locked_sources:
            cell.source = locked_sources[meta["grade_id"]]
        elif student is not None and editable and student.cell_type == original.cell_type:
            cell.source = student.source if isinstance(student.source, str) else "".join(
                student.source)
        out.cells.append(cell)
        out.cells += _plain_copies(added.get(_key(original), []))
    return out


def _plain_copies(cells) -> list:
    copies = []
    for cell in cells:
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if cell.cell_type == "code":
            copies.append(nbformat.v4.new_code_cell(source))
        else:
            copies.append(nbformat.v4.new_markdown_cell(source))
    return copies


class SanitizeSubmission(NbGraderPreprocessor):
    """Sanitize step: replace the submission by ``rebuild_on_release`` of it."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        release = _release_notebook(self.config, info["assignment"], info["notebook"])
        source = _source_notebook(self.config, info["assignment"], info["notebook"])
        locked = {nbgrader_meta(c)["grade_id"]: c.source for c in source.cells
                  if nbgrader_meta(c).get("locked") and nbgrader_meta(c).get("grade_id")}
        return rebuild_on_release(nb, release, locked), resources


# ------------------------------------------------------------------------------ running it
class SandboxKernelManager(AsyncKernelManager):
    """A kernel started inside the sandbox, talking over Unix sockets (it has no network).

    ``forbidden`` (module names) is set by SandboxedExecute before the kernel starts.
    """

    forbidden: tuple[str, ...] = ()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._box = Path(tempfile.mkdtemp(prefix="course-kernel-"))
        self._work = self._box / "work"
        self._work.mkdir()
        for folder in (self._box, self._work):
            os.chmod(folder, 0o777)
        self._cap = None
        if sandbox.enabled():
            self.transport = "ipc"
            self.ip = str(self._box / "ipc")
            self.connection_file = str(self._box / "kernel.json")

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        cwd = kw.get("cwd")
        if cwd and Path(cwd).is_dir():  # the submission's files, copied: the original stays
            shutil.copytree(cwd, self._work, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.ipynb"))
        command = sandbox.command(list(kernel_cmd), self._work, self.forbidden,
                                  writable=[self._box])
        self._cap = sandbox.ProcessCap(sandbox.Limits().processes)
        kw["cwd"] = str(self._work)
        kw["env"] = ({"PATH": os.environ.get("PATH", "/usr/bin:/bin")} if sandbox.enabled()
                     else sandbox.sandbox_env(self._work))
        return await super()._async_launch_kernel(self._cap.wrap(command), **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart:
            if self._cap is not None:
                self._cap.close()
            shutil.rmtree(self._box, ignore_errors=True)


class SandboxedExecute(Execute):
    """nbgrader's Execute, with the kernel in the sandbox and kernel deaths tolerated."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(*args, **kwargs)
        self._forbidden, self._started = (), False

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        km.forbidden = self._forbidden
        return km

    def preprocess_cell(self, cell, resources, index):
        self._started = True
        return super().preprocess_cell(cell, resources, index)

    def preprocess(self, nb, resources=None, km=None):
        if sandbox.enabled():
            sandbox.bwrap()  # stop with a clear message when bubblewrap is missing
        assignment = resources["nbgrader"]["assignment"]
        self._forbidden = load_checks(_source_folder(self.config, assignment)).forbidden
        self._started = False
        try:
            return super().preprocess(nb, resources, km)
        except (DeadKernelError, RuntimeError, TimeoutError) as error:
            if not self._started:
                raise
            self.log.warning("the kernel ended early (%s): later cells were not run", error)
            return nb, resources


# ---------------------------------------------------------------------------- its outputs
class CapOutputs(NbGraderPreprocessor):
    """Cut every code cell's outputs to ``max_bytes`` (text is truncated, the rest dropped)."""

    max_bytes = Integer(20_000, help="largest size of one cell's outputs, in bytes").tag(
        config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        budget, kept = self.max_bytes, []
        for output in cell.outputs:
            size = len(json.dumps(output))
            if size <= budget:
                kept.append(output)
                budget -= size
                continue
            if output.output_type == "stream" and budget > 200:
                output.text = output.text[: budget - 200] + "\n... [output cut by the grader]\n"
                kept.append(output)
            else:
                kept.append(nbformat.v4.new_output(
                    "stream", name="stdout", text="... [output cut by the grader]\n"))
            break
        cell.outputs = kept
        return cell, resources


# ----------------------------------------------------------------------------- scoring it
def verdict_outputs(verdict) -> list:
    """The outputs that a test cell gets: one line per check, and an error if one failed."""
    lines = [f"hidden check {i + 1}: {PASSED if ok else FAILED}"
             + (f" ({note})" if note else "")
             for i, (ok, note) in enumerate(zip(verdict.passed, verdict.notes, strict=True))]
    outputs = [nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
    failed = verdict.passed.count(False)
    if failed:
        message = f"{failed} of {len(verdict.passed)} checks failed"
        outputs.append(nbformat.v4.new_output(
            "error", ename="AssertionError", evalue=message,
            traceback=[f"AssertionError: {message} (graded outside your notebook)"]))
    return outputs


class DecideScores(NbGraderPreprocessor):
    """Grade every exercise outside the kernel and write the verdict into its test cell."""

    max_exercise_seconds = Float(
        None, allow_none=True, help="cap on every exercise's time limit (checks.py's otherwise)"
    ).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        checks = load_checks(_source_folder(self.config, info["assignment"]))
        source_nb = _source_notebook(self.config, info["assignment"], info["notebook"])
        cache = Path(_course(self.config).root) / CACHE_DIR
        verdicts = grade_notebook(source_nb, nb, checks, self.max_exercise_seconds, cache)
        for cell in nb.cells:
            meta = nbgrader_meta(cell)
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            verdict = verdicts.get(meta.get("grade_id"))
            if verdict is None:
                cell.outputs = [nbformat.v4.new_output(
                    "error", ename="GraderError", evalue="no checks for this test cell",
                    traceback=["GraderError: checks.py has no exercise for this test cell"])]
            else:
                cell.outputs = verdict_outputs(verdict)
        return nb, resources


# ---------------------------------------------------------------------------- its feedback
class ClearMarkScheme(NbgraderClearMarkScheme):
    """nbgrader's ClearMarkScheme, accepting the display_data_priority the HTML exporter sets."""

    display_data_priority = List(["text/html", "application/pdf", "text/latex", "image/svg+xml",
                                  "image/png", "image/jpeg", "text/plain"]).tag(config=True)
