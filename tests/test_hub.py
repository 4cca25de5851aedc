"""The course on a real JupyterHub: one homework's whole cycle across users, end to end.

The hub is deploy/jupyterhub_config.py (local system users, one server per user started as that
user, per-role nbgrader extensions, the shared exchange of deploy/setup_exchange.py), run on
localhost with configurable-http-proxy. Three real Linux accounts are made for the test: an
instructor and two students. Then, as a class would:

1. the instructor (``runuser``, in a copy of the course in their home) releases ps01 with the
   commands of the README's "Running a class" section;
2. each student, through the hub's REST API with a token of their own, starts their server,
   lists and fetches ps01 with the Assignment List's API, and submits it: student A after writing
   the solution into it through the Contents API (as JupyterLab saves a notebook), student B
   unchanged;
3. the instructor collects, grades the class in the bubblewrap sandbox
   (``python -m course_lib.grading``), generates and releases the feedback, and exports grades;
4. each student fetches their feedback through the Assignment List.

Asserted: exported grades 20 and 0; each student gets exactly one feedback file, showing their
own score; a student's token opens no other server and the students' servers have no formgrader;
and, tried as student B on the file system, every way to another's work or the instructor's
files (the exchange's inbound and feedback listings, A's home and nbgrader cache, the
instructor's solutions/, gradebook and submitted/, replacing the course's exchange folder) ends in
a permission error.

Skipped, with the reason, where the hub cannot run: not root (the hub starts servers as other
users and the test creates accounts), no ``useradd``/``runuser``, no ``configurable-http-proxy``
or ``node``, no ``bwrap``, or a course tree other users cannot read. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from grading import ROOT, make_submission, release_notebook, source_notebook

ASSIGNMENT = "ps01_ngrams"
COURSE_ID = "seqmodels-nlp"
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
FULL_MARKS = 20.0  # ps01's autograded points (the written answer is graded by hand)
# The instructor's commands of the README's "Running a class" section (run in the course folder).
RELEASE_COMMANDS = (
    "python -m course_lib.tools.release",
    f"nbgrader release_assignment {ASSIGNMENT}",
)
GRADE_COMMANDS = (
    f"nbgrader collect {ASSIGNMENT}",
    f"python -m course_lib.grading {ASSIGNMENT}",
    f"nbgrader generate_feedback {ASSIGNMENT}",
    f"nbgrader release_feedback {ASSIGNMENT}",
    "nbgrader export",
)
README_MARKER = "<!-- hub-commands"
WAIT_SECONDS = 150  # longest wait for the hub or a server to answer on this busy machine


def why_no_hub() -> str | None:
    """Why a hub with system users cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root: the hub starts each user's server as that user, and the test adds users"
    for tool in ("useradd", "userdel", "runuser", "configurable-http-proxy", "node", "bwrap"):
        if shutil.which(tool) is None:
            hint = {"configurable-http-proxy": " (npm install -g configurable-http-proxy)",
                    "node": " (apt-get install nodejs npm)",
                    "bwrap": " (apt-get install bubblewrap)"}
            return f"`{tool}` is not installed{hint.get(tool, '')}"
    if shutil.which("jupyterhub", path=str(VENV_BIN)) is None:
        return "jupyterhub is not installed in this environment (pip install -e '.[dev]')"
    for path in (Path(sys.executable).resolve(), VENV_BIN, ROOT / "course_lib"):
        closed = [p for p in path.parents if not os.stat(p).st_mode & 0o001]
        if closed:
            return (f"other users cannot reach {path} (the servers and the instructor run it): "
                    f"{closed[-1]} has no execute bit for others; `chmod o+x {closed[-1]}`, or "
                    "install Python and the course outside it")
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Account:
    name: str
    home: Path

    def run(self, command, cwd=None, check=True, timeout=300) -> subprocess.CompletedProcess:
        """Run a command (a string is split like a shell would) as this user."""
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        env = {"PATH": os.pathsep.join([str(VENV_BIN), "/usr/bin", "/bin"]), "HOME": str(self.home),
               "USER": self.name, "LOGNAME": self.name, "LANG": "C.UTF-8",
               "MPLBACKEND": "Agg",
               **{k: os.environ[k] for k in ("COURSE_QUICK", "COURSE_OFFLINE") if k in os.environ}}
        runuser = shutil.which("runuser") or "runuser"
        done = subprocess.run([runuser, "-u", self.name, "--", *argv], cwd=cwd or self.home,
                              env=env, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"`{command}` as {self.name} failed ({done.returncode}):\n"
                                 f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        return done


def add_account(name: str, homes: Path) -> Account:
    home = homes / name
    subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--user-group",
                    "--shell", "/usr/sbin/nologin", name], check=True, capture_output=True)
    return Account(name, home)


def remove_account(account: Account) -> None:
    subprocess.run(["userdel", "--remove", account.name], capture_output=True)


class Api:
    """JSON over HTTP to the hub on 127.0.0.1 with one token."""

    def __init__(self, url: str, token: str, log: Path):
        self.url, self.token, self.log = url.rstrip("/"), token, log  # log: the hub's

    def call(self, method: str, path: str, body=None) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"token {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        try:
            return status, json.loads(text) if text else None
        except json.JSONDecodeError:
            return status, text

    def ok(self, method: str, path: str, body=None):
        status, value = self.call(method, path, body)
        assert 200 <= status < 300, (f"{method} {path}: {status} {str(value)[:2000]}\n"
                                     f"hub log:\n{self.log.read_text()[-4000:]}")
        return value


def wait_for(what: str, ready, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (OSError, AssertionError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} not ready after {WAIT_SECONDS} s; hub log:\n"
                         f"{log.read_text()[-4000:]}")


TEST_CONFIG = """
c = get_config()
load_subconfig({deploy!r})
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.JupyterHub.services = [{{"name": "course-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": ["course-test"]}}]
c.Spawner.http_timeout = c.Spawner.start_timeout = {wait}
"""

# Tried as student B: each entry must end in PermissionError.
PROBE = """
import json, os, sys
tries = json.loads(sys.argv[1])
def attempt(kind, path, *args):
    try:
        if kind == "list":
            os.listdir(path)
        elif kind == "read":
            open(path, "rb").read()
        elif kind == "rename":
            os.rename(path, args[0])
        elif kind == "write":
            open(path, "w").write("x")
        return "allowed"
    except PermissionError:
        return "PermissionError"
    except OSError as error:
        return type(error).__name__
print(json.dumps({name: attempt(*spec) for name, spec in tries.items()}))
"""


@dataclass
class Cycle:
    """What the whole cycle left behind, for the tests to look at."""

    base: Path
    course: Path
    exchange: Path
    instructor: Account
    students: dict[str, Account]  # "A" (submits the solution), "B" (submits the release)
    apis: dict[str, Api]  # per student, with their own token
    listed: dict[str, list]  # the Assignment List's entries each student saw before fetching
    feedback: dict[str, list[str]]  # per student: the feedback HTML files in their home
    grades: dict[str, float]  # exported raw scores per student id
    cross_status: int  # HTTP status when B's token asks for A's server
    formgrader_status: dict[str, int]  # HTTP status of each student's /formgrader
    seconds: dict[str, float]  # wall-clock seconds of each phase


def run_cycle(base: Path, prefix: str) -> Cycle:
    """Accounts, exchange, hub, and the homework's whole cycle (see the module docstring)."""
    seconds, clock = {}, [time.monotonic()]

    def phase(name: str) -> None:
        seconds[name] = time.monotonic() - clock[0]
        clock[0] = time.monotonic()

    homes = base / "home"
    homes.mkdir()
    instructor = add_account(f"{prefix}_teacher", homes)
    students = {"A": add_account(f"{prefix}_ann", homes), "B": add_account(f"{prefix}_bob", homes)}
    roster = base / "roster.txt"
    roster.write_text(f"instructor {instructor.name}\n"
                      + "".join(f"student {s.name}\n" for s in students.values()))
    # the instructor's copy of the course (on a hub: a clone of the repository)
    course = instructor.home / COURSE_ID
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("solutions", "assignments"):
        shutil.copytree(ROOT / folder / ASSIGNMENT, course / folder / ASSIGNMENT)
    subprocess.run(["chown", "-R", f"{instructor.name}:", str(course)], check=True)
    exchange = base / "srv" / "exchange"
    subprocess.run([sys.executable, str(DEPLOY / "setup_exchange.py"), "--instructor",
                    instructor.name, "--exchange", str(exchange), "--course-dir", str(course),
                    "--roster", str(roster)], check=True, capture_output=True)

    # the hub, on 127.0.0.1 only
    state, token = base / "hub", secrets.token_hex(32)
    state.mkdir(mode=0o700)
    port = free_port()
    config = state / "test_config.py"
    config.write_text(TEST_CONFIG.format(
        deploy=str(DEPLOY / "jupyterhub_config.py"), hub_port=free_port(),
        proxy_api_port=free_port(), token=token, wait=WAIT_SECONDS))
    env = {**os.environ, "PATH": os.pathsep.join([str(VENV_BIN), os.environ["PATH"]]),
           "COURSE_ROSTER": str(roster), "COURSE_EXCHANGE": str(exchange),
           "COURSE_HUB_STATE": str(state), "COURSE_HUB_URL": f"http://127.0.0.1:{port}"}
    log = state / "hub.log"
    with open(log, "w") as out:
        hub = subprocess.Popen([str(VENV_BIN / "jupyterhub"), "-f", str(config)], cwd=state,
                               env=env, stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)
    admin = Api(f"http://127.0.0.1:{port}", token, log)
    try:
        with ThreadPoolExecutor(1) as pool:  # the instructor releases while the hub starts
            released = pool.submit(lambda: [instructor.run(c, cwd=course)
                                            for c in RELEASE_COMMANDS])
            wait_for("the hub", lambda: admin.call("GET", "/hub/api/")[0] == 200, log)
            apis = {}
            for key, student in students.items():
                admin.ok("POST", f"/hub/api/users/{student.name}/server")
                made = admin.ok("POST", f"/hub/api/users/{student.name}/tokens",
                                {"note": "course test"})
                apis[key] = Api(admin.url, made["token"], log)
            for student in students.values():
                wait_for(f"{student.name}'s server", lambda s=student: admin.ok(
                    "GET", f"/hub/api/users/{s.name}")["servers"][""]["ready"], log)
            released.result()
        phase("accounts, exchange, hub, 2 servers, release")

        listed, feedback = {}, {}
        query = f"course_id={COURSE_ID}"
        for key, student in students.items():
            api, user = apis[key], f"/user/{student.name}"
            listed[key] = api.ok("GET", f"{user}/assignments?{query}")["value"]
            api.ok("POST", f"{user}/assignments/fetch",
                   {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
            path = f"{user}/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
            fetched = nbformat.from_dict(api.ok("GET", path)["content"])
            if key == "A":  # writes every answer and saves, as JupyterLab does
                solved = make_submission(fetched, source_notebook(ASSIGNMENT))
                api.ok("PUT", path, {"type": "notebook", "format": "json", "content": solved})
            submitted = api.ok("POST", f"{user}/assignments/submit",
                               {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
            assert isinstance(submitted, dict) and submitted.get("success"), submitted
        phase("students list, fetch, save, submit")
        for command in GRADE_COMMANDS:
            instructor.run(command, cwd=course)
            phase(command)
        for key, student in students.items():
            user = f"/user/{student.name}"
            apis[key].ok("POST", f"{user}/assignments/fetch_feedback",
                          {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
            found = sorted((student.home / ASSIGNMENT / "feedback").glob("*/*.html"))
            feedback[key] = [p.read_text() for p in found]
        phase("students fetch feedback")
        with open(course / "grades.csv") as f:
            grades = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f)
                      if row["assignment"] == ASSIGNMENT}
        cross = apis["B"].call("GET", f"/user/{students['A'].name}/api/contents")[0]
        formgrader = {k: apis[k].call("GET", f"/user/{s.name}/formgrader")[0]
                      for k, s in students.items()}
        return Cycle(base, course, exchange, instructor, students, apis, listed, feedback,
                     grades, cross, formgrader, seconds)
    finally:
        for student in students.values():
            admin.call("DELETE", f"/hub/api/users/{student.name}/server")
        hub.terminate()
        try:
            hub.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(hub.pid, 9)


@pytest.fixture(scope="module")
def cycle():
    reason = why_no_hub()
    if reason:
        pytest.skip(f"no JupyterHub here: {reason}")
    base = Path(tempfile.mkdtemp(prefix="course-hub-"))
    base.chmod(0o755)  # the test users must reach their homes and the exchange below it
    prefix = "h" + secrets.token_hex(3)
    try:
        yield run_cycle(base, prefix)
    finally:
        for role in ("teacher", "ann", "bob"):
            remove_account(Account(f"{prefix}_{role}", base))
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_students_fetch_the_release_through_the_hub(cycle):
    for key in ("A", "B"):
        names = [(a["course_id"], a["assignment_id"], a["status"]) for a in cycle.listed[key]]
        assert names == [(COURSE_ID, ASSIGNMENT, "released")]
    home = cycle.students["B"].home
    fetched = nbformat.read(home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert [c.source for c in fetched.cells] == [c.source for c in
                                                 release_notebook(ASSIGNMENT).cells]


@pytest.mark.slow
def test_exported_grades_are_full_and_zero(cycle):
    ann, bob = (cycle.students[k].name for k in ("A", "B"))
    assert cycle.grades == {ann: FULL_MARKS, bob: 0.0}


@pytest.mark.slow
def test_each_student_fetches_only_their_own_feedback(cycle):
    for key, score in (("A", FULL_MARKS), ("B", 0.0)):
        assert len(cycle.feedback[key]) == 1, f"student {key}: {len(cycle.feedback[key])} files"
        shown = re.findall(rf"{ASSIGNMENT} \(Score: ([\d.]+) / ", cycle.feedback[key][0])
        assert [float(s) for s in shown] == [score]


@pytest.mark.slow
def test_a_student_token_opens_no_other_server_and_no_formgrader(cycle):
    assert cycle.cross_status in (403, 404)
    assert cycle.formgrader_status == {"A": 404, "B": 404}  # not loaded for students


@pytest.mark.slow
def test_a_student_cannot_reach_others_work_or_the_instructor_files(cycle):
    ann, course = cycle.students["A"], cycle.course
    box = cycle.exchange / COURSE_ID
    tries = {
        "list inbound": ["list", str(box / "inbound")],
        "list feedback": ["list", str(box / "feedback")],
        "write outbound": ["write", str(box / "outbound" / ASSIGNMENT / "fake.ipynb")],
        "replace the course folder": ["rename", str(box), str(cycle.exchange / "moved")],
        "read A's notebook": ["read", str(ann.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")],
        "list A's nbgrader cache": ["list", str(ann.home / ".local/share/jupyter")],
        "list solutions": ["list", str(course / "solutions" / ASSIGNMENT)],
        "read checks": ["read", str(course / "solutions" / ASSIGNMENT / "checks.py")],
        "read gradebook": ["read", str(course / "gradebook.db")],
        "list submitted": ["list", str(course / "submitted")],
        "read A's submission": ["read", str(course / "submitted" / ann.name / ASSIGNMENT
                                            / f"{ASSIGNMENT}.ipynb")],
    }
    for spec in tries.values():  # each target exists, so a denial is the permission
        assert os.path.lexists(spec[1]) or spec[0] == "write", spec
    done = cycle.students["B"].run([sys.executable, "-c", PROBE, json.dumps(tries)], cwd="/")
    assert json.loads(done.stdout) == {name: "PermissionError" for name in tries}


@pytest.mark.slow
def test_the_cycle_is_quick(cycle):
    report = ", ".join(f"{name}: {s:.1f} s" for name, s in cycle.seconds.items())
    print(f"hub cycle: {report}")
    assert sum(cycle.seconds.values()) < 300, report


def test_roster_errors_name_the_file_and_line(tmp_path, monkeypatch):
    """The hub refuses a roster it cannot read, saying where and why."""
    bad = tmp_path / "roster.txt"
    bad.write_text("instructor teacher\nteacher bob\n")
    monkeypatch.setenv("COURSE_ROSTER", str(bad))
    namespace = {"get_config": lambda: type("C", (), {"__getattr__": lambda s, k: s})()}
    namespace["__file__"] = str(DEPLOY / "course_hub.py")
    with pytest.raises(ValueError, match=r"roster.txt:2: expected '<role> <username>'"):
        exec((DEPLOY / "course_hub.py").read_text(), namespace)


def test_readme_runs_the_hub_commands_of_this_test():
    """README's "Running a class" lists, in order, the instructor commands this test runs."""
    text = (ROOT / "README.md").read_text()
    block = re.search(re.escape(README_MARKER) + r".*?```bash\n(.*?)```", text, re.S)
    assert block, f"README.md has no {README_MARKER} block (section 'Running a class')"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    assert [line for line in lines if line and not line.startswith("cd ")] == [
        *RELEASE_COMMANDS, *GRADE_COMMANDS]
