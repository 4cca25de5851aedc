"""The process that runs one student's answers, inside the sandbox (``python -m ...worker``).

It never sees a reference value: it evaluates expressions and sends back plain results.
Protocol, one line per message (the grader drives it, see ``checker.Worker``):

1. The worker imports the heavy modules once (``--preload numpy,torch``), then loops:
   it ends every other process of the sandbox (left over by the previous exercise), forks a
   fresh child and prints ``READY``.
2. The grader writes one exercise as a JSON line on stdin: ``setup`` (trusted set-up cell),
   ``answer`` (the student's cell), ``fixture`` (trusted), ``cases`` (expressions).
   Only the child reads it, so the worker itself never holds an exercise: no child can find
   another exercise's inputs in memory.
3. The child runs set-up, answer and fixture in one namespace and evaluates each case, writing
   ``RESULT <i> <json>`` per case, where json is {"value": plain} or {"error": [class names]}.
   The student's prints and warnings go to /dev/null. A case the child never reports (it
   crashed, exited, or timed out) counts as failed.
4. When the child has ended, the worker prints ``DONE``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import time

from course_lib.grading.plain import encode

READY, DONE, RESULT = "READY", "DONE", "RESULT"


class _Blocker:
    """Import hook that refuses forbidden modules (used only when the sandbox is off)."""

    def __init__(self, forbidden):
        self.forbidden = tuple(forbidden)

    def find_spec(self, name, path=None, target=None):
        if any(name == m or name.startswith(m + ".") for m in self.forbidden):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None


def _error_names(error: BaseException) -> list[str]:
    return [cls.__name__ for cls in type(error).__mro__]


def _send(fd: int, line: str) -> None:
    data = (line + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


def run_exercise(job: dict, out: int) -> None:
    """Run one exercise (in the child) and write its RESULT lines to the file descriptor out."""
    if job.get("forbidden") and not job.get("sandboxed"):
        for name in [m for m in sys.modules if any(m == f or m.startswith(f + ".")
                                                   for f in job["forbidden"])]:
            del sys.modules[name]
        sys.meta_path.insert(0, _Blocker(job["forbidden"]))
    namespace = {"__name__": "__main__"}
    exec(compile(job["setup"], "<set-up cell>", "exec"), namespace)
    try:
        exec(compile(job["answer"], "<answer cell>", "exec"), namespace)
    except BaseException:  # noqa: BLE001 - even exit(): the function may be defined already
        pass
    try:
        exec(compile(job["fixture"], "<fixture>", "exec"), namespace)
    except BaseException as error:  # noqa: BLE001
        for i in range(len(job["cases"])):
            _send(out, f"{RESULT} {i} " + json.dumps({"fixture_error": _error_names(error)}))
        return
    for i, expr in enumerate(job["cases"]):
        try:
            result = {"value": encode(eval(compile(expr, f"<case {i}>", "eval"), namespace))}
        except BaseException as error:  # noqa: BLE001
            result = {"error": _error_names(error)}
        _send(out, f"{RESULT} {i} " + json.dumps(result))


def _child() -> None:
    """The forked child: read one job, run it, leave without running anyone's exit handlers."""
    os.setsid()
    line = sys.stdin.buffer.readline()
    out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    try:
        run_exercise(json.loads(line), out)
    except BaseException as error:  # noqa: BLE001 - e.g. the trusted set-up cell failed
        _send(out, "SETUP_ERROR " + json.dumps(_error_names(error)))
    os._exit(0)


def _live_others() -> list[int]:
    """Processes of our PID namespace, other than us and its init, that are not yet dead."""
    live = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (1, os.getpid()):
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            live.append(int(entry))
    return live


def _end_leftovers(sandboxed: bool, child: int | None) -> None:
    """Kill what the previous child left running (in the sandbox: every process but us), and
    wait until it is dead, so that no leftover can read the next exercise."""
    if sandboxed:
        for _ in range(2000):
            try:
                os.kill(-1, signal.SIGKILL)  # our own PID namespace: spares only us and its init
            except ProcessLookupError:
                pass
            if not _live_others():
                return
            time.sleep(0.001)
        raise RuntimeError("processes of the previous exercise would not die")
    elif child is not None:
        try:
            os.killpg(child, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def serve(sandboxed: bool) -> None:
    """The worker's loop (see the module docstring)."""
    child = None
    while True:
        _end_leftovers(sandboxed, child)
        child = os.fork()
        if child == 0:
            _child()
        print(READY, flush=True)
        os.waitpid(child, 0)
        print(DONE, flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preload", default="numpy", help="modules imported once (a,b,...)")
    parser.add_argument("--sandboxed", action="store_true", help="running in our own PID namespace")
    args = parser.parse_args(argv)
    for name in filter(None, args.preload.split(",")):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    # a real sandbox has its own PID namespace and user: only then may we kill "everything"
    sandboxed = args.sandboxed and os.getuid() != 0 and os.getpid() < 100
    try:
        serve(sandboxed)
    except (BrokenPipeError, KeyboardInterrupt):
        pass


if __name__ == "__main__":
    main()
