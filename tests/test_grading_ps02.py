"""Homework 2 (RNNs and BPTT): its solutions are right and its grader gives the right points.

Fast tests run the solution code of the instructor notebook in-process against independent
references (torch.nn.RNN and autograd, torch's clip_grad_norm_ and cross_entropy, course_lib) and
run the whole notebook, ungraded demo included. The slow test grades about 25 fake students with
the real `nbgrader autograde`, once (see tests/grading.py): the solution, the untouched release,
one student per mutant of tests/mutants/ps02_rnn_bptt/ (a wrong answer, or a correct one that
calls course_lib.rnn / course_lib.clipping / course_lib.torch_rnn), one who deleted a test cell
and one who edited the set-up and a test cell.

Exercise 3 (rnn_backward) calls exercise 2 (rnn_step_backward); its test cell swaps in a
stand-in (visible part) and a correct reference (hidden part) for rnn_step_backward, so that a
wrong exercise 2 costs only exercise 2's points: the mutants of exercise 2 check exactly that.
"""

from __future__ import annotations

import html
import math
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from grading import (
    autograde,
    autograded_points,
    exercise_test_cells,
    grade_id,
    load_mutants,
    make_submission,
    nbgrader_meta,
)

from course_lib import clipping, rnn

ASSIGNMENT = "ps02_rnn_bptt"
ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
RELEASE = ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
MUTANTS = load_mutants(ROOT / "tests" / "mutants" / ASSIGNMENT)
SHORTCUT = "shortcut"  # a mutant whose name starts with this uses the library
DELETED = "test_clip_grad_norm"  # the test cell the "deleter" student removes
FEEDBACK_STUDENT = "temporal_softmax_loss__no_max_shift"  # passes visible, fails hidden checks
WRITTEN_ANSWER = "The Jacobian product is bounded by sigma_max^k; clipping caps exploding steps."


def source_nb():
    return nbformat.read(SOURCE, as_version=4)


def release_nb():
    return nbformat.read(RELEASE, as_version=4)


def _mutant(student: str):
    return next(m for m in MUTANTS if m.student == student)


def _is_shortcut(mutant) -> bool:
    return mutant.name.startswith(SHORTCUT)


# a student who disables the shortcut detector and a test cell, to hide two wrong answers
CHEATS = {
    "setup": "import math\n"
    "import numpy as np\n"
    "def check_no_shortcut(func, *args, **kwargs):\n"
    "    return func(*args, **kwargs)",
    "rnn_step_forward": _mutant("rnn_step_forward__shortcut").source,
    "clip_grad_norm": _mutant("clip_grad_norm__per_array").source,
    "test_clip_grad_norm": "print('all tests passed')",
}


@pytest.fixture(scope="module")
def solution():
    """Namespace after running the set-up cell, the read-only rnn_forward and every answer cell."""
    namespace = {"__name__": "ps02_solution"}
    for cell in source_nb().cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("locked")
                                         and not meta.get("grade")):
            exec(cell.source, namespace)  # the solution markers are comments
    return namespace


# ------------------------------------------------------------------ the notebook's structure
def test_every_exercise_has_one_test_cell_two_mutants_and_a_shortcut():
    pairs = exercise_test_cells(source_nb())
    assert list(pairs) == ["rnn_step_forward", "rnn_step_backward", "rnn_backward",
                           "clip_grad_norm", "temporal_softmax_loss"]
    assert set(pairs.values()) == set(autograded_points(source_nb()))  # one test per exercise
    for answer in pairs:
        mutants = [m for m in MUTANTS if m.answer_id == answer]
        assert sum(map(_is_shortcut, mutants)) >= 1, answer
        wrong = [m.name for m in mutants if not _is_shortcut(m)]
        assert len(wrong) >= 2, f"{answer} needs >= 2 wrong mutants, has {wrong}"
    assert {m.answer_id for m in MUTANTS} == set(pairs)
    assert all(m.why.startswith(("WRONG:", "FORBIDDEN:")) for m in MUTANTS)


def test_points_and_manual_question():
    nb = source_nb()
    assert autograded_points(nb) == {"test_rnn_step_forward": 2, "test_rnn_step_backward": 3,
                                     "test_rnn_backward": 3, "test_clip_grad_norm": 2,
                                     "test_temporal_softmax_loss": 3}
    manual = [c for c in nb.cells if nbgrader_meta(c).get("grade") and c.cell_type == "markdown"]
    assert [grade_id(c) for c in manual] == ["written_vanishing"]
    assert nbgrader_meta(manual[0])["points"] == 3 and nbgrader_meta(manual[0])["solution"]
    schemes = [c for c in nb.cells if "BEGIN MARK SCHEME" in c.source]
    assert len(schemes) == 1 and nbgrader_meta(schemes[0])["task"]


def test_hidden_tests_reveal_nothing_in_context_lines():
    """IPython shows 4 lines before and 3 after a failing line: the line that reports hidden
    failures, and the last visible line, must be surrounded by lines that give nothing away."""
    for test_id in autograded_points(source_nb()):
        cell = next(c for c in source_nb().cells if grade_id(c) == test_id)
        lines = cell.source.split("\n")
        begin = lines.index("### BEGIN HIDDEN TESTS")
        report = next(i for i, line in enumerate(lines) if line.startswith("run_hidden_checks("))
        assert all(line.startswith("#") for line in lines[report - 4 : report]), test_id
        assert all(line.startswith("#") for line in lines[begin : begin + 3]), test_id
        assert lines[report + 1 :] == ["### END HIDDEN TESTS", 'print("all visible tests passed")']


# ------------------------------------------------ solution code against independent references
def _torch_rnn(Wx, Wh, b):
    """torch.nn.RNN (float64, batch first) with the weights of our row-convention RNN."""
    layer = torch.nn.RNN(Wx.shape[0], Wx.shape[1], batch_first=True).double()
    with torch.no_grad():
        layer.weight_ih_l0.copy_(torch.from_numpy(Wx.T))
        layer.weight_hh_l0.copy_(torch.from_numpy(Wh.T))
        layer.bias_ih_l0.copy_(torch.from_numpy(b))
        layer.bias_hh_l0.zero_()
    return layer


def _rnn_problem(rng, N=3, T=5, D=4, H=6, scale=0.8):
    return (rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), scale * rng.normal(size=(D, H)),
            scale * rng.normal(size=(H, H)), rng.normal(size=H))


def test_forward_and_bptt_match_torch_rnn_and_autograd(solution, rng):
    x, h0, Wx, Wh, b = _rnn_problem(rng)
    h, caches = solution["rnn_forward"](x, h0, Wx, Wh, b)  # built on rnn_step_forward
    layer = _torch_rnn(Wx, Wh, b)
    tx = torch.from_numpy(x).requires_grad_()
    th0 = torch.from_numpy(h0)[None].requires_grad_()
    out, _ = layer(tx, th0)
    assert np.allclose(h, out.detach().numpy(), atol=1e-12)
    dh = rng.normal(size=h.shape)
    (out * torch.from_numpy(dh)).sum().backward()
    dx, dh0, dWx, dWh, db = solution["rnn_backward"](dh, caches)  # built on rnn_step_backward
    assert np.allclose(dx, tx.grad.numpy())
    assert np.allclose(dh0, th0.grad[0].numpy())
    assert np.allclose(dWx, layer.weight_ih_l0.grad.numpy().T)
    assert np.allclose(dWh, layer.weight_hh_l0.grad.numpy().T)
    assert np.allclose(db, layer.bias_ih_l0.grad.numpy())


def test_step_backward_matches_autograd(solution, rng):
    x, h_prev = rng.normal(size=(4, 3)), rng.normal(size=(4, 5))
    Wx, Wh, b = 2 * rng.normal(size=(3, 5)), rng.normal(size=(5, 5)), rng.normal(size=5)
    h, cache = solution["rnn_step_forward"](x, h_prev, Wx, Wh, b)
    assert cache[0] is x and cache[1] is h_prev and cache[4] is h
    tensors = [torch.from_numpy(a).requires_grad_() for a in (x, h_prev, Wx, Wh, b)]
    th = torch.tanh(tensors[0] @ tensors[2] + tensors[1] @ tensors[3] + tensors[4])
    assert np.allclose(h, th.detach().numpy())
    dh = rng.normal(size=h.shape)
    (th * torch.from_numpy(dh)).sum().backward()
    for got, tensor in zip(solution["rnn_step_backward"](dh, cache), tensors, strict=True):
        assert np.allclose(got, tensor.grad.numpy())


def test_solution_agrees_with_course_lib(solution, rng):
    x, h0, Wx, Wh, b = _rnn_problem(rng, T=7)
    h, caches = solution["rnn_forward"](x, h0, Wx, Wh, b)
    h_ref, caches_ref = rnn.rnn_forward(x, h0, Wx, Wh, b)
    assert np.allclose(h, h_ref)
    dh = rng.normal(size=h.shape)
    for got, want in zip(solution["rnn_backward"](dh, caches), rnn.rnn_backward(dh, caches_ref),
                         strict=True):
        assert np.allclose(got, want)
    grads = {"Wx": Wx, "Wh": Wh, "b": b}
    clipped, total = solution["clip_grad_norm"](grads, 0.5)
    clipped_ref, total_ref = clipping.clip_grad_norm(grads, 0.5)
    assert math.isclose(total, total_ref)
    assert all(np.allclose(clipped[k], clipped_ref[k]) for k in grads)


@pytest.mark.parametrize("max_norm", [0.1, 2.0, 1e4])
def test_clip_grad_norm_matches_torch(solution, rng, max_norm):
    grads = {"a": rng.normal(size=(3, 4)), "b": 5 * rng.normal(size=7), "c": np.array(0.3)}
    copies = {k: g.copy() for k, g in grads.items()}
    clipped, total = solution["clip_grad_norm"](grads, max_norm)
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
              for g in copies.values()]
    for p, g in zip(params, copies.values(), strict=True):
        p.grad = torch.from_numpy(g.copy())
    want_total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    assert math.isclose(total, float(want_total), rel_tol=1e-12)
    for p, (name, g) in zip(params, copies.items(), strict=True):
        assert np.allclose(clipped[name], p.grad.numpy(), rtol=1e-5)  # torch adds 1e-6 to norm
        assert np.array_equal(grads[name], g)  # the input is not changed
    assert math.isclose(math.sqrt(sum(np.sum(g**2) for g in clipped.values())),
                        min(total, max_norm), rel_tol=1e-9)


@pytest.mark.parametrize("scale", [1.0, 500.0])
def test_temporal_softmax_loss_matches_torch_cross_entropy(solution, rng, scale):
    N, T, V = 4, 6, 9
    scores = scale * rng.normal(size=(N, T, V))
    y = rng.integers(0, V, size=(N, T))
    mask = np.arange(T)[None] < rng.integers(1, T + 1, size=(N, 1))  # (N, T) padded lengths
    loss, dscores = solution["temporal_softmax_loss"](scores, y, mask)
    ts = torch.from_numpy(scores).requires_grad_()
    targets = torch.from_numpy(np.where(mask, y, -100))  # -100: torch's ignore_index
    want = torch.nn.functional.cross_entropy(ts.reshape(N * T, V), targets.reshape(-1))
    want.backward()
    assert np.isfinite(loss) and math.isclose(loss, want.item(), rel_tol=1e-10)
    assert np.allclose(dscores, ts.grad.numpy())
    ref_loss, ref_dscores = rnn.temporal_softmax_loss(scores, y, mask)
    assert math.isclose(loss, ref_loss) and np.allclose(dscores, ref_dscores)


def test_bad_inputs_raise_errors_that_name_the_argument(solution):
    s = solution
    x, h, W, b = np.ones((2, 3)), np.ones((2, 4)), np.ones((3, 4)), np.ones(4)
    Wh = np.ones((4, 4))
    with pytest.raises(ValueError, match="x must be"):
        s["rnn_step_forward"](np.ones((2, 2)), h, W, Wh, b)
    for name, args in (("h_prev", (x, h[:1], W, Wh, b)), ("Wh", (x, h, W, Wh[:3], b)),
                       ("b", (x, h, W, Wh, b[:3]))):
        with pytest.raises(ValueError, match=f"^{name} must have shape"):
            s["rnn_step_forward"](*args)
    _, cache = s["rnn_step_forward"](x, h, W, Wh, b)
    with pytest.raises(ValueError, match="dh must have the shape of h"):
        s["rnn_step_backward"](np.ones((2, 3)), cache)
    with pytest.raises(ValueError, match="dh must be"):
        s["rnn_backward"](np.ones((2, 2, 4)), [cache])
    with pytest.raises(ValueError, match="cache must hold"):
        s["rnn_backward"](np.ones((2, 0, 4)), [])
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        s["clip_grad_norm"]({"b": b}, 0)
    with pytest.raises(ValueError, match="grads must hold"):
        s["clip_grad_norm"]({}, 1.0)
    scores, y, mask = np.zeros((2, 3, 5)), np.zeros((2, 3), dtype=int), np.ones((2, 3), bool)
    with pytest.raises(ValueError, match="scores must be"):
        s["temporal_softmax_loss"](scores[0], y, mask)
    with pytest.raises(ValueError, match="^y must have shape"):
        s["temporal_softmax_loss"](scores, y[:1], mask)
    with pytest.raises(ValueError, match="^mask must have shape"):
        s["temporal_softmax_loss"](scores, y, mask[:, :2])
    with pytest.raises(ValueError, match="mask must have at least one True"):
        s["temporal_softmax_loss"](scores, y, ~mask)


def test_whole_notebook_runs_and_the_demo_shows_vanishing_and_exploding(capsys, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    namespace = {"__name__": "ps02_notebook"}
    for cell in source_nb().cells:
        if cell.cell_type == "code":
            exec(cell.source, namespace)
    out = capsys.readouterr().out
    assert out.count("all visible tests passed") == len(autograded_points(source_nb()))
    norms, _ = namespace["gradient_reaching"](0.5, 1e-6)
    assert norms[10] == pytest.approx(0.5**10, rel=0.05)  # linear regime: sigma^k exactly
    norms, _ = namespace["gradient_reaching"](1.5, 1e-6)
    assert norms[25] > 1e3  # explodes
    norms, _ = namespace["gradient_reaching"](1.5, 0.5)
    assert norms[25] < 1.0  # saturated tanh units stop the explosion
    assert "clipped to 1" in out


# --------------------------------------------------------------------- the shortcut detector
def _exercise_args(solution, rng):
    x, h0, Wx, Wh, b = _rnn_problem(rng)
    _, caches = solution["rnn_forward"](x, h0, Wx, Wh, b)
    scores, y = rng.normal(size=(2, 3, 4)), rng.integers(0, 4, size=(2, 3))
    return {
        "rnn_step_forward": (x[:, 0], h0, Wx, Wh, b),
        "rnn_step_backward": (rng.normal(size=h0.shape), caches[0]),
        "rnn_backward": (rng.normal(size=(*x.shape[:2], h0.shape[1])), caches),
        "clip_grad_norm": ({"Wx": Wx, "b": b}, 0.5),
        "temporal_softmax_loss": (scores, y, np.array([[1, 1, 0], [1, 0, 0]], dtype=bool)),
    }


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b, strict=True))
    return np.allclose(a, b)


@pytest.mark.parametrize("mutant", [m for m in MUTANTS if _is_shortcut(m)],
                         ids=lambda m: m.student)
def test_shortcut_detector_flags_every_way_in(solution, rng, mutant):
    """The set-up cell's check_no_shortcut, run in-process on each shortcut mutant."""
    check, args = solution["check_no_shortcut"], _exercise_args(solution, rng)[mutant.answer_id]
    namespace = {k: v for k, v in solution.items() if k != mutant.answer_id}
    exec(mutant.source, namespace)
    func = namespace[mutant.answer_id]
    want = solution[mutant.answer_id](*args)
    assert _same(func(*args), want)  # the shortcut itself is right...
    with pytest.raises((AssertionError, RuntimeError, ImportError), match="off limits"):
        check(func, *args)  # ...but the detector rejects it
    assert _same(check(solution[mutant.answer_id], *args), want)  # and accepts the solution


def test_detector_blocks_modules_imported_only_at_call_time(solution, monkeypatch):
    """An off-limits module not imported yet cannot be imported during a checked call (in the
    graded kernels, course_lib.rnn is imported by nobody: this is the path they take)."""
    import importlib

    monkeypatch.delitem(sys.modules, "course_lib.torch_rnn", raising=False)

    def sneaky():
        return importlib.import_module("course_lib." + "torch_rnn").RNN

    with pytest.raises(ImportError, match="course_lib.torch_rnn is off limits"):
        solution["check_no_shortcut"](sneaky)
    assert "course_lib.torch_rnn" not in sys.modules  # blocked before torch was even imported
    assert solution["check_no_shortcut"](lambda: 7) == 7


def test_replacing_restores_the_notebook_functions(solution):
    original = solution["rnn_step_backward"]
    with pytest.raises(KeyError), solution["replacing"](rnn_step_backward=len, new_name=abs):
        assert solution["rnn_step_backward"] is len and solution["new_name"] is abs
        raise KeyError("a failing test")
    assert solution["rnn_step_backward"] is original and "new_name" not in solution


# --------------------------------------------------------------- the real grader, end to end
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    source, release = source_nb(), release_nb()
    submissions = {
        "solution": make_submission(release, source, written=WRITTEN_ANSWER),
        "release": release,
        "deleter": make_submission(release, source, delete=(DELETED,)),
        "cheater": make_submission(release, source, replace=CHEATS),
    }
    for mutant in MUTANTS:
        submissions[mutant.student] = make_submission(
            release, source, replace={mutant.answer_id: mutant.source}
        )
    return autograde(ROOT, ASSIGNMENT, submissions, tmp_path_factory.mktemp("course"))


def _points():
    return autograded_points(source_nb())


def _assert_scores(graded, student, want):
    assert student in graded.scores, f"{student} was not graded:\n{graded.log[-3000:]}"
    got = {gid: graded.scores[student][gid] for gid in want}
    assert got == want, f"{student}: {graded.cell_errors(student)}"


@pytest.mark.slow
def test_solution_gets_every_autograded_point(graded):
    _assert_scores(graded, "solution", _points())
    assert graded.scores["solution"]["written_vanishing"] is None  # graded by hand
    notebook = graded.autograded_notebook("solution")
    errors = [out for c in notebook.cells for out in c.get("outputs", [])
              if out.output_type == "error"]
    assert errors == []  # no cell fails, graded or not (the demo is skipped while grading)


@pytest.mark.slow
def test_release_gets_zero(graded):
    _assert_scores(graded, "release", {gid: 0.0 for gid in _points()})


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.student)
def test_mutant_loses_exactly_its_exercise(graded, mutant):
    test_id = exercise_test_cells(source_nb())[mutant.answer_id]
    want = {**_points(), test_id: 0.0}
    _assert_scores(graded, mutant.student, want)
    if _is_shortcut(mutant):  # failed by the detector, not by a wrong answer
        assert "off limits" in graded.cell_errors(mutant.student)[test_id]


@pytest.mark.slow
def test_edited_set_up_and_test_cells_are_restored(graded):
    want = {**_points(), "test_rnn_step_forward": 0.0, "test_clip_grad_norm": 0.0}
    _assert_scores(graded, "cheater", want)
    assert "off limits" in graded.cell_errors("cheater")["test_rnn_step_forward"]


@pytest.mark.slow
def test_deleted_test_cell_is_restored_and_graded(graded):
    _assert_scores(graded, "deleter", _points())
    restored = [c for c in graded.autograded_notebook("deleter").cells if grade_id(c) == DELETED]
    assert len(restored) == 1 and "was missing from the submission" in restored[0].source


@pytest.mark.slow
def test_feedback_hides_hidden_tests_and_mark_scheme(graded):
    errors = graded.cell_errors(FEEDBACK_STUDENT)
    assert errors["test_temporal_softmax_loss"].startswith("AssertionError: ")
    graded_text = nbformat.writes(graded.autograded_notebook(FEEDBACK_STUDENT))
    assert "BEGIN HIDDEN TESTS" in graded_text  # graded with the hidden tests...
    text = html.unescape(re.sub(r"<[^>]+>", "", graded.feedback_html(FEEDBACK_STUDENT)))
    assert "check_no_shortcut(temporal_softmax_loss" in text  # ...the visible tests are shown...
    assert "hidden checks failed" in text  # ...with the count of failures...
    for secret in ("BEGIN HIDDEN TESTS", "_checks = [", "_loop_loss", "_reference_step_backward",
                   "MARK SCHEME", "submultiplicativity"):
        assert secret not in text  # ...but neither the hidden tests nor the mark scheme
