"""Run a command on a student's code inside a bubblewrap sandbox.

What the sandboxed process sees and may do:

- a root file system of its own holding only the operating system (``/usr``), the Python
  installation, the course's virtual environment and the ``course_lib`` package, all read-only;
  the course folder itself (solutions, gradebook, other students' submissions) is not there;
- the modules an exercise forbids are absent (their files are masked), so an answer that imports
  them fails: shortcuts are stopped by absence, not by detection;
- one writable folder (a fresh temporary copy of the submission's folder), a small ``/tmp``;
- its own user (uid 65534, no capabilities), process ids, network (none), IPC and host name;
- caps: address space (memory), CPU seconds, file size and, where the machine has a ``pids``
  cgroup, the number of processes; it is killed, with everything it started, when its parent dies
  (``--die-with-parent`` and its own PID namespace).

bubblewrap comes from Debian's ``bubblewrap`` package. Without it grading stops with a clear
message, unless the instructor opts out with ``COURSE_GRADING_SANDBOX=off`` (trusted submissions
only: then answer code runs as the grading user, and forbidden modules are only hidden from the
import system).

References: bubblewrap(1); prlimit(1); the Linux cgroup ``pids`` controller documentation.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import course_lib

SANDBOX_ENV = "COURSE_GRADING_SANDBOX"  # "off" runs without a sandbox (trusted code only)
SANDBOX_UID = 65534  # "nobody"
# environment variables passed through to the sandbox (everything else is cleared)
PASSED_ENV = ("COURSE_QUICK", "COURSE_OFFLINE", "NBGRADER_EXECUTION", "NBGRADER_VALIDATING",
              "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LANG", "TZ")
# files of /etc that programs need (the rest of /etc, e.g. shadow, stays out)
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group",
             "nsswitch.conf", "fonts", "mime.types")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing and the instructor did not opt out."""


@dataclass(frozen=True)
class Limits:
    """Resource caps of one sandboxed command.

    - memory: bytes of address space per process; cpu_seconds: CPU time per process;
    - processes: tasks in the sandbox (enforced where a pids cgroup exists);
    - file_bytes: largest file it may write; tmp_bytes: size of its /tmp.
    """

    memory: int = 4 * 1024**3
    cpu_seconds: int = 600
    processes: int = 256
    file_bytes: int = 64 * 1024**2
    tmp_bytes: int = 256 * 1024**2


def enabled() -> bool:
    """Whether grading runs sandboxed (the default); False only with COURSE_GRADING_SANDBOX=off."""
    return os.environ.get(SANDBOX_ENV, "on").strip().lower() not in {"off", "0", "false", "no"}


def bwrap() -> str:
    """Path of the bwrap executable; SandboxUnavailable (with what to do) when it is missing."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "grading runs student code inside a bubblewrap sandbox, and `bwrap` is not installed: "
            "install it (Debian/Ubuntu: `sudo apt-get install bubblewrap`), or, for trusted "
            f"submissions only, grade without a sandbox by setting {SANDBOX_ENV}=off"
        )
    return path


def module_paths(modules) -> list[Path]:
    """The files or package folders of the given module names (those that exist).

    Inputs:
    - modules: iterable of dotted names, e.g. ("course_lib.ngram", "nltk").

    Returns:
    - list of Path: a package's folder, or a plain module's file.
    """
    paths = []
    for name in modules:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        if spec.submodule_search_locations:
            paths += [Path(p) for p in spec.submodule_search_locations]
        elif spec.origin and Path(spec.origin).is_file():
            paths.append(Path(spec.origin))
    return paths


def _python_roots() -> list[Path]:
    """Folders the interpreter, its packages and course_lib live in."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix), Path(sys.prefix).resolve(),
             Path(course_lib.__file__).resolve().parent}
    return sorted(roots)


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib64", "/lib32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def sandbox_env(workdir: Path, extra: dict | None = None) -> dict[str, str]:
    """The whole environment of a sandboxed process (nothing else is inherited)."""
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin",
                                 "/bin"]),
        "HOME": str(workdir),
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(workdir / ".matplotlib"),
        "PYTHONDONTWRITEBYTECODE": "1",
        # course_lib as the grader imports it (an editable install may point elsewhere)
        "PYTHONPATH": str(Path(course_lib.__file__).resolve().parent.parent),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    env.update({k: os.environ[k] for k in PASSED_ENV if k in os.environ})
    env.update(extra or {})
    return env


class ProcessCap:
    """A pids cgroup (v2 or v1) that caps how many tasks one sandbox may run.

    ``wrap(argv)`` returns a command that enters the cgroup, then runs argv. Where the machine
    offers no writable pids cgroup, wrap leaves argv as is (the PID namespace still ends every
    process when the sandbox ends).
    """

    def __init__(self, limit: int):
        self.path = None
        for base in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
            group = base / f"course-grading-{uuid.uuid4().hex[:12]}"
            try:
                group.mkdir()
            except OSError:
                continue
            try:
                (group / "pids.max").write_text(f"{limit}\n")
            except OSError:
                group.rmdir()
                continue
            self.path = group
            break

    def wrap(self, argv: list[str]) -> list[str]:
        if self.path is None:
            return argv
        procs = self.path / "cgroup.procs"
        return ["/bin/sh", "-c", f'echo $$ > "{procs}" && exec "$@"', "sh", *argv]

    def close(self) -> None:
        """Remove the cgroup (after every process in it has ended)."""
        if self.path is not None:
            try:
                self.path.rmdir()
            except OSError:
                pass
            self.path = None


def command(
    argv: list[str],
    workdir,
    forbidden=(),
    limits: Limits = Limits(),
    writable=(),
    env: dict | None = None,
) -> list[str]:
    """The command line that runs argv inside the sandbox (or bare, when the sandbox is off).

    Inputs:
    - argv: the command, e.g. [sys.executable, "-m", "course_lib.grading.worker"].
    - workdir: the writable folder the command starts in (made by the caller, e.g. a temp dir).
    - forbidden: module names masked inside the sandbox.
    - limits: resource caps.
    - writable: more folders bound read-write (e.g. the folder of a kernel's IPC sockets).
    - env: extra environment variables.

    Returns:
    - the argv list to start (caller adds the pids cgroup with ProcessCap.wrap if wanted).
    """
    workdir = Path(workdir)
    caps = ["prlimit", f"--as={limits.memory}", f"--cpu={limits.cpu_seconds}",
            f"--fsize={limits.file_bytes}", "--core=0", "--"]
    if not enabled():
        return caps + argv
    args = [bwrap(), "--unshare-all", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
            "--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv"]
    args += _system_binds()
    for root in _python_roots():
        args += ["--ro-bind", str(root), str(root)]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    for path in module_paths(forbidden):
        if path.is_dir():
            args += ["--tmpfs", str(path), "--remount-ro", str(path)]
        else:
            args += ["--ro-bind", "/dev/null", str(path)]
    for folder in [workdir, *map(Path, writable)]:
        args += ["--bind", str(folder), str(folder)]
    for key, value in sandbox_env(workdir, env).items():
        args += ["--setenv", key, value]
    args += ["--chdir", str(workdir), "--"]
    return args + caps + argv
