"""House rules every lecture notebook keeps (that they run is checked by nbval in `make test`)."""

from pathlib import Path

import nbformat
import pytest

from course_lib.tools.run_notebooks import HEADLINE_TAG, headline

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_lecture_notebooks_exist_and_are_numbered():
    assert NOTEBOOKS, "no lecture notebooks found"
    for path in NOTEBOOKS:
        prefix, _, topic = path.stem.partition("_")
        well_named = prefix.isdigit() and len(prefix) == 2 and topic
        assert well_named, f"{path.name} is not NN_<topic>.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_house_rules(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "outputs are stored"
    assert "set_seed(" in code[0].source, "the first code cell must seed everything"
    tagged = [c for c in nb.cells if HEADLINE_TAG in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged 'headline'"
    assert tagged[0].cell_type == "code" and "print(" in tagged[0].source
    assert any(c.cell_type == "markdown" and "$" in c.source for c in nb.cells), "no math"
    pinned = [c.source for c in code if 'device="cpu"' in c.source or "device='cpu'" in c.source]
    assert not pinned, "training must use the GPU when there is one (course_lib.config.get_device)"


def test_headline_reads_the_tagged_cells_last_line():
    nb = nbformat.v4.new_notebook()
    plain = nbformat.v4.new_code_cell("print('not me')")
    plain.outputs = [nbformat.v4.new_output("stream", name="stdout", text="not me\n")]
    tagged = nbformat.v4.new_code_cell("...", metadata={"tags": [HEADLINE_TAG]})
    tagged.outputs = [nbformat.v4.new_output("stream", name="stdout", text="table\nppl 123.4\n\n")]
    nb.cells = [plain, tagged]
    assert headline(nb) == "ppl 123.4"
    nb.cells = [plain]
    assert headline(nb) == ""
