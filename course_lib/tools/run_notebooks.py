"""Execute every lecture notebook in order, headlessly, and print one line per notebook.

    python -m course_lib.tools.run_notebooks notebooks build/notebooks

Executed copies are written to the output folder (git-ignored ``build/``). The line printed for each
notebook is its name, the seconds it took and its headline result: the last line of text printed by
the cell tagged ``headline`` (every lecture notebook has one, computed, never hard-coded).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HEADLINE_TAG = "headline"


def headline(nb: nbformat.NotebookNode) -> str:
    """The last non-empty line of text output of the cell tagged ``headline`` ('' if none)."""
    for cell in nb.cells:
        if HEADLINE_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        lines: list[str] = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                lines += out.get("text", "").splitlines()
            elif "data" in out and "text/plain" in out["data"]:
                lines += out["data"]["text/plain"].splitlines()
        lines = [line.strip() for line in lines if line.strip()]
        return lines[-1] if lines else ""
    return ""


def run_notebook(path: Path, out_dir: Path, timeout: int = 1800) -> tuple[float, str]:
    """Execute ``path`` with its folder as working directory; save it to ``out_dir``.

    Returns (seconds, headline).
    """
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - start
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    return seconds, headline(nb)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(
            "usage: python -m course_lib.tools.run_notebooks NOTEBOOK_DIR OUT_DIR", file=sys.stderr
        )
        return 2
    src, out = Path(argv[0]), Path(argv[1])
    notebooks = sorted(src.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        print(f"no notebooks NN_<topic>.ipynb in {src}", file=sys.stderr)
        return 1
    for path in notebooks:
        seconds, result = run_notebook(path, out)
        print(f"{path.name:40s} {seconds:7.1f} s   {result}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
