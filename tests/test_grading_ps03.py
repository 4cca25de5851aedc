"""Homework 3 (LSTM and GRU cells): its solutions are right and its grader gives the right points.

Fast tests run the solution code of the instructor notebook in-process against independent
references: torch's nn.LSTM and nn.GRU run over whole sequences (forward, and autograd for the
backward pass chained through time), and course_lib.torch_lstm_gru's peephole LSTM. The slow test
grades about 25 fake students with the real `nbgrader autograde`, once (see tests/grading.py): the
solution, the untouched release, one student per mutant of tests/mutants/ps03_lstm_gru/ (a wrong
answer, or a correct one that calls course_lib.lstm / course_lib.gru / course_lib.torch_lstm_gru),
one who deleted a test cell and one who edited the set-up cell and a test cell.
"""

from __future__ import annotations

import html
import re
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
from torch import nn

from course_lib.torch_lstm_gru import LSTM as TorchPeepholeLSTM

ASSIGNMENT = "ps03_lstm_gru"
ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
RELEASE = ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
MUTANTS = load_mutants(ROOT / "tests" / "mutants" / ASSIGNMENT)
SHORTCUT = "shortcut"  # the name of the mutant of each exercise that uses the library
DELETED = "test_lstm_step_backward"  # the test cell the "deleter" student removes


def _mutant(student: str) -> str:
    return next(m.source for m in MUTANTS if m.student == student)


# a student who disables the shortcut detector and a test cell, to hide two wrong answers
CHEATS = {
    "setup": "import numpy as np\nimport torch\nfrom torch import nn\n"
    "def sigmoid(a):\n    return 1 / (1 + np.exp(-a))\n"
    "def check_no_shortcut(func, *args, **kwargs):\n"
    "    return func(*args, **kwargs)",
    "lstm_step_forward": _mutant("lstm_step_forward__shortcut"),
    "gru_step_forward": _mutant("gru_step_forward__z_swapped"),
    "test_gru_step_forward": "print('all visible tests passed')",
}
WRITTEN_ANSWER = "The RNN multiplies by W_h every step; the LSTM cell path only by f."


def source_nb():
    return nbformat.read(SOURCE, as_version=4)


def release_nb():
    return nbformat.read(RELEASE, as_version=4)


@pytest.fixture(scope="module")
def solution():
    """Namespace after running the set-up cell and every answer cell of the instructor notebook."""
    namespace = {}
    for cell in source_nb().cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and (meta.get("solution") or grade_id(cell) == "setup"):
            exec(cell.source, namespace)  # the solution markers are comments
    return namespace


def _lstm_params(lstm):
    """(Wx, Wh, b) of a one-layer LSTM (torch's or the course's), float64 numpy."""
    with torch.no_grad():
        b = lstm.bias_ih_l0 + lstm.bias_hh_l0
        params = (lstm.weight_ih_l0.T, lstm.weight_hh_l0.T, b)
        return tuple(p.double().numpy().copy() for p in params)


# ------------------------------------------------------------------ the notebook's structure
def test_every_exercise_has_one_test_cell_two_mutants_and_a_shortcut():
    pairs = exercise_test_cells(source_nb())
    assert list(pairs) == [
        "lstm_step_forward",
        "lstm_step_backward",
        "peephole_lstm_step_forward",
        "gru_step_forward",
        "gru_params_from_torch",
    ]
    assert set(pairs.values()) == set(autograded_points(source_nb()))  # one test per exercise
    for answer in pairs:
        names = [m.name for m in MUTANTS if m.answer_id == answer]
        assert names.count(SHORTCUT) == 1, answer
        assert len(names) >= 3, f"{answer} needs >= 2 wrong mutants and a shortcut, has {names}"
    assert {m.answer_id for m in MUTANTS} == set(pairs)


def test_points_and_manual_question():
    nb = source_nb()
    assert sum(autograded_points(nb).values()) == 15
    manual = [c for c in nb.cells if nbgrader_meta(c).get("grade") and c.cell_type == "markdown"]
    assert [grade_id(c) for c in manual] == ["written_gradient_path"]
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
        report = lines.index("run_hidden_checks(_checks)")
        assert all(line.startswith("#") for line in lines[report - 4 : report]), test_id
        assert all(line.startswith("#") for line in lines[begin : begin + 3]), test_id


def test_answers_do_not_use_the_library():
    """The solutions themselves are plain numpy / torch (what the shortcut detector demands)."""
    for cell in source_nb().cells:
        if nbgrader_meta(cell).get("solution") and cell.cell_type == "code":
            assert "course_lib" not in cell.source, grade_id(cell)


# ------------------------------------------------ solution code against independent references
@pytest.mark.parametrize("n, d, h, t", [(1, 1, 1, 3), (3, 4, 5, 6), (2, 7, 3, 4)])
def test_lstm_step_forward_matches_nn_lstm_over_a_sequence(solution, rng, n, d, h, t):
    torch.manual_seed(n + d + h)
    lstm = nn.LSTM(d, h, batch_first=True, dtype=torch.float64)
    x, h0, c0 = rng.normal(size=(n, t, d)), rng.normal(size=(n, h)), rng.normal(size=(n, h))
    with torch.no_grad():
        out, (h_n, c_n) = lstm(torch.from_numpy(x), (torch.from_numpy(h0)[None],
                                                     torch.from_numpy(c0)[None]))
    hs, state, c_state = [], h0, c0
    for step in range(t):
        state, c_state, cache = solution["lstm_step_forward"](
            x[:, step], state, c_state, *_lstm_params(lstm))
        hs.append(state)
    assert np.allclose(np.stack(hs, axis=1), out.numpy())
    assert np.allclose(c_state, c_n[0].numpy())
    i, f, g, o = cache[5:9]
    assert np.allclose(cache[9], f * cache[2] + i * g) and np.allclose(state, o * np.tanh(cache[9]))


def test_lstm_step_forward_rejects_bad_shapes(solution, rng):
    forward = solution["lstm_step_forward"]
    n, d, h = 3, 2, 4
    args = [rng.normal(size=s) for s in ((n, d), (n, h), (n, h), (d, 4 * h), (h, 4 * h), (4 * h,))]
    bad = {0: args[0][0], 2: args[2][:1], 3: args[3][:, :-1], 4: args[4].T, 5: args[5][None]}
    names = ["x", "h_prev", "c_prev", "Wx", "Wh", "b"]
    for k, value in bad.items():
        message = f"{names[k]} must have shape" if k else "x and h_prev must be 2-D"
        with pytest.raises(ValueError, match=message):
            forward(*args[:k], value, *args[k + 1 :])


def test_lstm_step_backward_matches_autograd_through_time(solution, rng):
    """BPTT by chaining the solution's steps equals torch autograd through nn.LSTM."""
    n, d, h, t = 2, 3, 4, 5
    torch.manual_seed(1)
    lstm = nn.LSTM(d, h, batch_first=True, dtype=torch.float64)
    x = torch.tensor(rng.normal(size=(n, t, d)), requires_grad=True)
    h0 = torch.tensor(rng.normal(size=(1, n, h)), requires_grad=True)
    c0 = torch.tensor(rng.normal(size=(1, n, h)), requires_grad=True)
    dout = rng.normal(size=(n, t, h))
    out, _ = lstm(x, (h0, c0))
    (out * torch.from_numpy(dout)).sum().backward()

    params = _lstm_params(lstm)
    state, c_state, caches = h0[0].detach().numpy(), c0[0].detach().numpy(), []
    for step in range(t):
        state, c_state, cache = solution["lstm_step_forward"](
            x[:, step].detach().numpy(), state, c_state, *params)
        caches.append(cache)
    dh_next, dc_next = np.zeros((n, h)), np.zeros((n, h))
    dx, totals = np.zeros((n, t, d)), [np.zeros_like(p) for p in params]
    for step in reversed(range(t)):
        dx[:, step], dh_next, dc_next, *grads = solution["lstm_step_backward"](
            dout[:, step] + dh_next, dc_next, caches[step])
        totals = [a + g for a, g in zip(totals, grads, strict=True)]
    assert np.allclose(dx, x.grad.numpy())
    assert np.allclose(dh_next, h0.grad[0].numpy()) and np.allclose(dc_next, c0.grad[0].numpy())
    assert np.allclose(totals[0], lstm.weight_ih_l0.grad.T.numpy())
    assert np.allclose(totals[1], lstm.weight_hh_l0.grad.T.numpy())
    assert np.allclose(totals[2], lstm.bias_ih_l0.grad.numpy())
    with pytest.raises(ValueError, match="dh must have shape"):
        solution["lstm_step_backward"](dout[:, 0, :1], dc_next, caches[0])


@pytest.mark.parametrize("scale", [0.0, 1.0, 3.0])
def test_peephole_step_matches_the_torch_peephole_layer(solution, rng, scale):
    n, d, h, t = 3, 2, 4, 5
    torch.manual_seed(2)
    layer = TorchPeepholeLSTM(d, h, peephole=True).double()
    with torch.no_grad():
        layer.weight_peephole_l0.normal_(0.0, scale)
    x = rng.normal(size=(n, t, d))
    with torch.no_grad():
        out, (_, c_n) = layer(torch.from_numpy(x))
    peepholes = list(layer.weight_peephole_l0.detach().numpy())  # rows p_i, p_f, p_o
    state, c_state = np.zeros((n, h)), np.zeros((n, h))
    hs = []
    for step in range(t):
        state, c_state = solution["peephole_lstm_step_forward"](
            x[:, step], state, c_state, *_lstm_params(layer), *peepholes)
        hs.append(state)
    assert np.allclose(np.stack(hs, axis=1), out.numpy())
    assert np.allclose(c_state, c_n[0].numpy())
    with pytest.raises(ValueError, match="p_o must have shape"):
        solution["peephole_lstm_step_forward"](
            x[:, 0], state, c_state, *_lstm_params(layer), *peepholes[:2], peepholes[2][:-1])


@pytest.mark.parametrize("bias", [True, False])
def test_gru_params_and_step_match_nn_gru_over_a_sequence(solution, rng, bias):
    n, d, h, t = 3, 4, 5, 6
    torch.manual_seed(3)
    gru = nn.GRU(d, h, bias=bias, batch_first=True, dtype=torch.float64)
    if bias:
        with torch.no_grad():
            gru.bias_hh_l0.uniform_(-2.0, 2.0)  # r multiplies b_hn: this makes it visible
    x, h0 = rng.normal(size=(n, t, d)), rng.normal(size=(n, h))
    with torch.no_grad():
        out, _ = gru(torch.from_numpy(x), torch.from_numpy(h0)[None])
    params = solution["gru_params_from_torch"](gru)
    for p in params:
        p += 1.0  # the copies are the student's to change...
    params = solution["gru_params_from_torch"](gru)  # ...the GRU is unchanged
    state, hs = h0, []
    for step in range(t):
        state, cache = solution["gru_step_forward"](x[:, step], state, *params)
        hs.append(state)
    assert np.allclose(np.stack(hs, axis=1), out.numpy())
    _, h_prev, _, _, r, z, n_gate, _ = cache
    assert np.allclose(state, (1 - z) * n_gate + z * h_prev) and np.all((r > 0) & (r < 1))


def test_gru_functions_reject_bad_input(solution, rng):
    params = [rng.normal(size=s) for s in ((2, 9), (3, 9), (9,), (9,))]
    x, h0 = rng.normal(size=(4, 2)), rng.normal(size=(4, 3))
    with pytest.raises(ValueError, match="bh must have shape"):
        solution["gru_step_forward"](x, h0, *params[:3], params[3][None])
    with pytest.raises(ValueError, match="Wx must have shape"):
        solution["gru_step_forward"](x, h0, params[0][:, :-1], *params[1:])
    with pytest.raises(TypeError, match="gru must be a torch.nn.GRU"):
        solution["gru_params_from_torch"](nn.LSTM(2, 3))
    for kwargs in ({"num_layers": 2}, {"bidirectional": True}):
        with pytest.raises(ValueError, match="one layer and one direction"):
            solution["gru_params_from_torch"](nn.GRU(2, 3, **kwargs))


def test_shortcut_detector_flags_every_way_in(solution, rng):
    """The set-up cell's check_no_shortcut, run in-process on each shortcut mutant."""
    check = solution["check_no_shortcut"]
    n, d, h = 2, 3, 4
    x, h0, c0 = rng.normal(size=(n, d)), rng.normal(size=(n, h)), rng.normal(size=(n, h))
    lstm = (rng.normal(size=(d, 4 * h)), rng.normal(size=(h, 4 * h)), rng.normal(size=4 * h))
    _, _, cache = solution["lstm_step_forward"](x, h0, c0, *lstm)
    gru = nn.GRU(d, h, dtype=torch.float64)
    args = {
        "lstm_step_forward": (x, h0, c0, *lstm),
        "lstm_step_backward": (h0, c0, cache),
        "peephole_lstm_step_forward": (x, h0, c0, *lstm, *rng.normal(size=(3, h))),
        "gru_step_forward": (x, h0, *solution["gru_params_from_torch"](gru)),
        "gru_params_from_torch": (gru,),
    }
    for mutant in (m for m in MUTANTS if m.name == SHORTCUT):
        namespace = {k: v for k, v in solution.items() if k != mutant.answer_id}
        exec(mutant.source, namespace)
        func = namespace[mutant.answer_id]
        func(*args[mutant.answer_id])  # the shortcut itself works...
        with pytest.raises((AssertionError, RuntimeError), match="off limits"):
            check(func, *args[mutant.answer_id])  # ...but the detector rejects it
        check(solution[mutant.answer_id], *args[mutant.answer_id])  # and accepts the solution


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
    assert graded.scores["solution"]["written_gradient_path"] is None  # graded by hand


@pytest.mark.slow
def test_release_gets_zero(graded):
    _assert_scores(graded, "release", {gid: 0.0 for gid in _points()})


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.student)
def test_mutant_loses_exactly_its_exercise(graded, mutant):
    test_id = exercise_test_cells(source_nb())[mutant.answer_id]
    want = {**_points(), test_id: 0.0}
    _assert_scores(graded, mutant.student, want)
    if mutant.name == SHORTCUT:  # failed by the detector, not by a wrong answer
        assert "off limits" in graded.cell_errors(mutant.student)[test_id]


@pytest.mark.slow
def test_edited_set_up_and_test_cells_are_restored(graded):
    want = {**_points(), "test_lstm_step_forward": 0.0, "test_gru_step_forward": 0.0}
    _assert_scores(graded, "cheater", want)
    assert "off limits" in graded.cell_errors("cheater")["test_lstm_step_forward"]


@pytest.mark.slow
def test_deleted_test_cell_is_restored_and_graded(graded):
    _assert_scores(graded, "deleter", _points())
    restored = [c for c in graded.autograded_notebook("deleter").cells if grade_id(c) == DELETED]
    assert len(restored) == 1 and "was missing from the submission" in restored[0].source


@pytest.mark.slow
def test_feedback_hides_hidden_tests_and_mark_scheme(graded):
    student = "lstm_step_forward__partial_checks"  # passes the visible tests, fails hidden ones
    error = graded.cell_errors(student)["test_lstm_step_forward"]
    assert error.startswith("AssertionError: ") and "hidden checks failed" in error
    graded_text = nbformat.writes(graded.autograded_notebook(student))
    assert "BEGIN HIDDEN TESTS" in graded_text  # graded with the hidden tests...
    text = html.unescape(re.sub(r"<[^>]+>", "", graded.feedback_html(student)))  # code untagged
    assert "check_no_shortcut(lstm_step_forward" in text  # ...and the visible tests are shown...
    assert "hidden checks failed" in text  # ...with the count of failures...
    for secret in ("BEGIN HIDDEN TESTS", "_checks = [", "_want_gates", "MARK SCHEME", "diag(f_t)"):
        assert secret not in text  # ...but neither the hidden tests nor the mark scheme
