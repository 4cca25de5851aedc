"""Stored notebook metadata is what JupyterLab 4 writes back, so a notebook opens unmodified.

JupyterLab replaces the kernelspec with the running kernel's (display name "Python 3 (ipykernel)")
and fills language_info from the kernel's reply when it starts; if the stored values differ, the
notebook is marked unsaved before the student has typed anything.
"""

from pathlib import Path

import nbformat
import pytest
from ipykernel.ipkernel import IPythonKernel
from jupyter_client.kernelspec import KernelSpecManager

ROOT = Path(__file__).resolve().parents[1]
# the lectures, the instructor notebooks and the student releases
NOTEBOOKS = sorted([*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "solutions").glob("*/*.ipynb"),
                    *(ROOT / "assignments").glob("*/*.ipynb")])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_metadata_is_what_the_kernel_reports(path):
    nb = nbformat.read(path, as_version=4)
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert dict(nb.metadata.kernelspec) == {
        "display_name": spec.display_name, "language": spec.language, "name": "python3"}
    info = dict(nb.metadata.language_info)
    expected = dict(IPythonKernel.language_info)
    # the patch version follows the student's Python; the course pins 3.11 (environment.yml)
    assert info.pop("version").rsplit(".", 1)[0] == "3.11"
    expected.pop("version")
    assert info == expected
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)  # cell ids, as JupyterLab 4 writes
