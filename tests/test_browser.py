"""End to end in a real browser: JupyterLab from the course's environment, driven by Chromium.

A temporary copy of the course is served by ``jupyter lab`` (as ``make lab`` does, on a free port,
with a token, without opening a browser). Headless Chromium, driven by Playwright, then

- opens lecture notebook 01, checks that its kernel starts by itself and that, once JupyterLab has
  written the kernel's kernelspec and language_info into the notebook, it is not marked unsaved
  (the stored metadata is already exactly that), then runs its first two code cells with
  Shift+Enter and finds their printed output in the page;
- opens the released homework ps01 and presses nbgrader's "Validate" button: the result dialog
  appears and reports the cells that fail, since the release is not answered.

Needs Debian's ``chromium`` (/usr/bin/chromium) and the ``playwright`` package; skips otherwise.
Nothing in the repository changes: the server and the kernels work in the copy.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]  # the course
VENV_BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
LECTURE = "notebooks/01_language_models_ngrams.ipynb"
HOMEWORK = "assignments/ps01_ngrams/ps01_ngrams.ipynb"
# what a run of the course leaves behind: not part of the copy the lab serves
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "build", "__pycache__", ".ipynb_checkpoints", ".pytest_cache",
    ".ruff_cache", "submitted", "autograded", "feedback", "exchange", ".grading-cache",
    "gradebook.db", "*.egg-info")
SERVER_WAIT = 60  # seconds for the lab server to answer
UI_WAIT = 30_000  # milliseconds for one thing to appear in the page (kernel start, output, dialog)

pytestmark = pytest.mark.slow


def why_no_browser() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if shutil.which("jupyter-lab", path=str(VENV_BIN)) is None:
        return "jupyterlab is not installed in this environment (pip install -e .)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_WAIT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"JupyterLab not ready after {SERVER_WAIT} s (exit code {server.poll()});"
                         f" log:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base URL, token, course copy, server log) of a JupyterLab serving a copy of the course."""
    reason = why_no_browser()
    if reason:
        pytest.skip(f"no browser test here: {reason}")
    base = tmp_path_factory.mktemp("browser")
    course = base / "course"
    shutil.copytree(ROOT, course, ignore=NOT_COPIED)
    port, token = free_port(), secrets.token_hex(16)
    # the lab's own state (workspaces, settings, runtime files) stays in the temporary folder
    env = {**os.environ, "PATH": os.pathsep.join([str(VENV_BIN), os.environ["PATH"]]),
           "PYTHONPATH": str(course), "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(base / "settings")}
    command = [str(VENV_BIN / "jupyter-lab"), f"--notebook-dir={course}", "--no-browser",
               f"--port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
               f"--ServerApp.token={token}",
               "--LabApp.expose_app_in_browser=True"]  # window.jupyterapp: the notebook's model
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = base / "lab.log"
    with open(log, "w") as out:
        server = subprocess.Popen(command, cwd=course, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(f"{url}/api/status?token={token}", server, log)
        yield url, token, course, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox"] if os.geteuid() == 0 else [])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(UI_WAIT)
            yield page
        finally:
            browser.close()


def open_notebook(page, lab, path: str):
    """Open a notebook in a fresh workspace; wait until its kernel is idle. Returns its panel."""
    url, token, _, _ = lab
    page.goto(f"{url}/lab/tree/{path}?token={token}&reset")
    panel = page.locator(".jp-NotebookPanel:visible")
    panel.locator(".jp-Cell").first.wait_for()
    # the kernel starts by itself on the spec the notebook names; no kernel chooser pops up
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']:visible").wait_for()
    return panel


def current_tab(page):
    return page.locator("#jp-main-dock-panel .lm-TabBar-tab.jp-mod-current")


# Once the kernel has started, JupyterLab writes the kernel's spec and language_info into the
# notebook's metadata (a few seconds after the kernel is idle on this machine); a stored value that
# differs marks the notebook unsaved. This waits for both writes, then reads the model.
SETTLED_MODEL = """async () => {
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session.kernel;
  await kernel.info;
  await kernel.spec;
  await new Promise(resolve => setTimeout(resolve, 1000));
  return {dirty: panel.context.model.dirty,
          metadata: JSON.stringify(panel.context.model.toJSON().metadata)};
}"""


def test_lecture_opens_clean_and_runs_from_the_ui(page, lab):
    panel = open_notebook(page, lab, LECTURE)
    tab = current_tab(page)
    assert Path(LECTURE).name in tab.inner_text()
    model = page.evaluate(SETTLED_MODEL)
    # unsaved on open = the stored kernelspec or language_info is not what the kernel reports
    # (tests/test_notebook_metadata.py checks the files; this is what the student sees)
    assert not model["dirty"], f"marked unsaved right after opening; now {model['metadata']}"
    assert "jp-mod-dirty" not in (tab.get_attribute("class") or "")

    expected = ("quick mode: True", "['<s>', '<s>', 'the', 'cat', 'sat', '</s>']")
    for index, text in enumerate(expected):
        cell = panel.locator(".jp-CodeCell").nth(index)
        cell.locator(".jp-InputPrompt").click()  # selects the cell (command mode)
        page.keyboard.press("Shift+Enter")  # Run > Run Selected Cell and advance
        output = cell.locator(".jp-OutputArea-output")
        output.first.wait_for()
        page.wait_for_function(
            "([cell, text]) => cell.innerText.includes(text)",
            arg=[cell.element_handle(), text], timeout=UI_WAIT)
        assert "Error" not in output.all_inner_texts()[0]
        assert re.fullmatch(r"\[\d+\]:", cell.locator(".jp-InputPrompt").inner_text().strip())


def test_validate_reports_the_unanswered_homework(page, lab):
    open_notebook(page, lab, HOMEWORK)
    model = page.evaluate(SETTLED_MODEL)
    assert not model["dirty"], f"marked unsaved right after opening; now {model['metadata']}"
    page.locator(".validate-button:visible").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("#validation-message").wait_for(timeout=90_000)
    assert "Validation Results" in dialog.inner_text()
    message = dialog.locator("#validation-message")
    text = message.inner_text()
    assert "validation-failed" in (message.get_attribute("class") or ""), text[:2000]
    assert "The following cell failed:" in text
    assert "NotImplementedError" in text, text[:2000]
    dialog.get_by_role("button", name="Ok").click()
    dialog.wait_for(state="detached")
