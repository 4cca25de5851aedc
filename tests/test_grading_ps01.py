"""Homework 1 (n-gram LMs): its solutions are right and its grader gives the right points.

Fast tests run the solution code of the instructor notebook in-process against independent
references (nltk's n-gram models, torch, brute force). The slow test grades about 25 fake
students with the real `nbgrader autograde`, once (see tests/grading.py): the solution, the
untouched release, one student per mutant of tests/mutants/ps01_ngrams/ (a wrong answer, or a
correct one that calls course_lib.ngram / course_lib.sampling), and one who deleted a test cell.
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from grading import (
    autograde,
    autograded_points,
    exercise_test_cells,
    grade_id,
    load_mutants,
    make_submission,
    nbgrader_meta,
)

ASSIGNMENT = "ps01_ngrams"
ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
RELEASE = ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
MUTANTS = load_mutants(ROOT / "tests" / "mutants" / ASSIGNMENT)
SHORTCUT = "shortcut"  # the name of the mutant of each exercise that uses the library
DELETED = "test_add_k_prob"  # the test cell the "deleter" student removes
# a student who disables the shortcut detector and a test cell, to hide two wrong answers
CHEATS = {
    "setup": "from course_lib.text import BOS, EOS\n"
    "from collections import Counter\n"
    "import math\n"
    "import numpy as np\n"
    "def check_no_shortcut(func, *args, **kwargs):\n"
    "    return func(*args, **kwargs)",
    "padded_ngrams": next(m.source for m in MUTANTS if m.student == "padded_ngrams__shortcut"),
    "add_k_prob": next(m.source for m in MUTANTS if m.student == "add_k_prob__no_vocab_size"),
    "test_add_k_prob": "print('all tests passed')",
}
WRITTEN_ANSWER = "Add-one gives almost all the mass to unseen words; KN counts contexts."


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


# ------------------------------------------------------------------ the notebook's structure
def test_every_exercise_has_one_test_cell_two_mutants_and_a_shortcut():
    pairs = exercise_test_cells(source_nb())
    assert len(pairs) == 6
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
    assert [grade_id(c) for c in manual] == ["written_smoothing"]
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


# ------------------------------------------------ solution code against independent references
def test_padded_ngrams_matches_nltk(solution, rng):
    from nltk.lm.preprocessing import pad_sequence
    from nltk.util import ngrams

    for n in (1, 2, 3, 5):
        for length in (0, 1, 4):
            tokens = [str(t) for t in rng.integers(0, 3, size=length)]
            padded = list(pad_sequence(tokens, n, pad_left=True, left_pad_symbol="<s>"))
            want = list(ngrams(padded + ["</s>"], n))
            assert solution["padded_ngrams"](tokens, n) == want
    with pytest.raises(ValueError, match="n must be"):
        solution["padded_ngrams"](["a"], 0)


def _bigram_data(sentences):
    from nltk.lm.preprocessing import pad_both_ends
    from nltk.util import bigrams

    return [list(bigrams(pad_both_ends(s, n=2))) for s in sentences]


TRAIN = [["the", "cat", "sat"], ["the", "dog", "sat", "down"], ["a", "cat", "ran"], ["the", "cat"]]
TEST = [["the", "dog", "ran"], ["a", "cat", "sat", "down"]]


def test_add_k_and_perplexity_match_nltk_lidstone(solution):
    from nltk.lm import Lidstone

    data = _bigram_data(TRAIN)
    counts = {}
    for sentence in data:
        for v, w in sentence:
            counts.setdefault((v,), solution["Counter"]())[w] += 1
    for k in (0.1, 1.0):
        lm = Lidstone(k, 2)
        lm.fit(data, vocabulary_text=[t for s in data for g in s for t in g])
        size = len(lm.vocab)  # nltk's |V| also holds <s> and <UNK>
        for context in [("<s>",), ("the",), ("cat",), ("down",)]:
            for word in ["cat", "sat", "</s>", "a"]:
                got = solution["add_k_prob"](counts, context, word, k, size)
                assert math.isclose(got, lm.score(word, context))
        got = solution["perplexity"](lambda h, w, lm=lm: lm.score(w, h), TEST, 2)
        assert math.isclose(got, lm.perplexity([g for s in _bigram_data(TEST) for g in s]))


def test_perplexity_matches_course_lib_ngram(solution):
    from course_lib.ngram import NGramLM

    for order in (1, 2, 3):
        lm = NGramLM(order, "add_k", k=0.5).fit(TRAIN)
        got = solution["perplexity"](lambda h, w, lm=lm: lm.prob(w, h), TEST, order)
        assert math.isclose(got, lm.perplexity(TEST))
    with pytest.raises(ValueError, match="sentences"):
        solution["perplexity"](lambda h, w: 0.5, [], 2)


def test_continuation_counts_brute_force(solution):
    pairs = {g for s in _bigram_data(TRAIN) for g in s}
    want = {w: sum(1 for v in {p[0] for p in pairs} if (v, w) in pairs) for _, w in pairs}
    assert dict(solution["continuation_counts"](TRAIN)) == want
    with pytest.raises(TypeError, match="str"):
        solution["continuation_counts"](["the cat"])


@pytest.mark.parametrize("discount", [0.1, 0.75, 1.0])
def test_kn_bigram_prob_matches_nltk(solution, discount):
    from collections import Counter

    from nltk.lm import KneserNeyInterpolated

    data = _bigram_data(TRAIN)
    lm = KneserNeyInterpolated(2, discount=discount)
    lm.fit(data, vocabulary_text=[t for s in data for g in s for t in g])
    bigram_counts = Counter(g for s in data for g in s)
    words = ["the", "cat", "sat", "dog", "down", "a", "ran", "</s>"]
    for prev in ["<s>", "the", "cat", "sat", "ran"]:
        got = [solution["kn_bigram_prob"](bigram_counts, prev, w, discount) for w in words]
        assert np.allclose(got, [lm.score(w, (prev,)) for w in words])
        assert math.isclose(sum(got), 1.0)


def test_top_k_temperature_probs_matches_torch(solution, rng):
    import torch

    for _ in range(20):
        logits = rng.normal(scale=5.0, size=7)
        temperature = float(rng.uniform(0.1, 3.0))
        k = int(rng.integers(1, 8))
        scaled = torch.tensor(logits) / temperature
        masked = torch.full_like(scaled, -torch.inf)
        top = torch.topk(scaled, k).indices
        masked[top] = scaled[top]
        want = torch.softmax(masked, dim=0).numpy()
        assert np.allclose(solution["top_k_temperature_probs"](logits, temperature, k), want)


def test_shortcut_detector_flags_every_way_in(solution):
    """The set-up cell's check_no_shortcut, run in-process on each shortcut mutant."""
    check = solution["check_no_shortcut"]
    args = {
        "padded_ngrams": (["a"], 2),
        "add_k_prob": ({("a",): solution["Counter"]({"b": 1})}, ("a",), "b", 1, 3),
        "perplexity": (lambda h, w: 0.5, [["a"]], 2),
        "continuation_counts": ([["a", "b"]],),
        "kn_bigram_prob": (solution["Counter"]({("a", "b"): 1}), "a", "b", 0.5),
        "top_k_temperature_probs": ([1.0, 2.0], 1.0, 1),
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
    assert graded.scores["solution"]["written_smoothing"] is None  # graded by hand


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
    want = {**_points(), "test_padded_ngrams": 0.0, "test_add_k_prob": 0.0}
    _assert_scores(graded, "cheater", want)
    assert "off limits" in graded.cell_errors("cheater")["test_padded_ngrams"]


@pytest.mark.slow
def test_deleted_test_cell_is_restored_and_graded(graded):
    _assert_scores(graded, "deleter", _points())
    restored = [c for c in graded.autograded_notebook("deleter").cells if grade_id(c) == DELETED]
    assert len(restored) == 1 and "was missing from the submission" in restored[0].source


@pytest.mark.slow
def test_feedback_hides_hidden_tests_and_mark_scheme(graded):
    student = "add_k_prob__no_errors"  # passes the visible tests, fails hidden ones
    assert graded.cell_errors(student)["test_add_k_prob"].startswith("AssertionError: ")
    graded_text = nbformat.writes(graded.autograded_notebook(student))
    assert "BEGIN HIDDEN TESTS" in graded_text  # graded with the hidden tests...
    text = html.unescape(re.sub(r"<[^>]+>", "", graded.feedback_html(student)))  # code untagged
    assert "check_no_shortcut(add_k_prob" in text  # ...and the visible tests are shown...
    assert "hidden checks failed" in text  # ...with the count of failures...
    for secret in ("BEGIN HIDDEN TESTS", "_checks = [", "abs_tol=1e-12", "MARK SCHEME", "19,970"):
        assert secret not in text  # ...but neither the hidden tests nor the mark scheme
