"""Homework 4 (BPE, word embeddings): its solutions are right and its grader gives the right points.

Fast tests run the solution code of the instructor notebook in-process against independent
references: subword-nmt's learn_bpe (the merges of repeated merge steps, on toy, tied, random and
Wikipedia corpora) and course_lib.bpe; torch autograd, numerical gradients and
course_lib.word2vec for the negative-sampling gradient; gensim's KeyedVectors.most_similar and
course_lib.word_vectors for neighbours and analogies. They also check that the tolerances of the
hidden checks accept other exact formulas and refuse a finite-difference gradient. The slow tests
(GradingSuite in tests/grading.py) grade fake students with the real `nbgrader autograde`: the
solution, the untouched release, the mutants of tests/mutants/ps04_embeddings/ in rounds (a wrong
answer, or a correct one that imports a module of FORBIDDEN in solutions/ps04_embeddings/checks.py,
absent while grading), one who deleted a test cell and one who edited the set-up and a test cell.
"""

from __future__ import annotations

import contextlib
import io
import random
from collections import Counter

import numpy as np
import pytest
import torch
from grading import (
    ROOT,
    GradingSuite,
    is_set_up_or_answer,
    run_cells,
    source_notebook,
)

from course_lib.grading.checker import (
    answer_sources,
    judge,
    reference_results,
    run_answers,
    set_up_source,
)
from course_lib.grading.checks import load_checks
from course_lib.tools.release import SOURCE_DIR

ASSIGNMENT = "ps04_embeddings"


class TestPs04Grading(GradingSuite):
    ASSIGNMENT = ASSIGNMENT
    EXERCISES = ("count_pairs", "bpe_merge_step", "sgns_loss_and_grads", "nearest_neighbours",
                 "analogy")
    POINTS = {"test_count_pairs": 3, "test_bpe_merge_step": 3, "test_sgns_loss_and_grads": 4,
              "test_nearest_neighbours": 3, "test_analogy": 3}
    WRITTEN_ID = "written_sgns"
    WRITTEN_ANSWER = "The softmax costs O(V D) per pair, negative sampling O((K + 1) D)."
    DELETED = "test_sgns_loss_and_grads"
    FEEDBACK_STUDENT = "count_pairs__partial_checks"  # passes the visible tests only
    CORE_FORBIDDEN = ("course_lib.bpe", "course_lib.word2vec", "course_lib.word_vectors",
                      "course_lib.embeddings")
    VISIBLE_CATCHES = (
        "count_pairs__across_words",
        "count_pairs__unweighted",
        "bpe_merge_step__tie_first_seen",
        "bpe_merge_step__first_occurrence_only",
        "bpe_merge_step__joined_replace",
        "sgns_loss_and_grads__log_of_sigmoid",
        "sgns_loss_and_grads__noise_without_minus",
        "sgns_loss_and_grads__gradient_sign",
        "nearest_neighbours__includes_itself",
        "nearest_neighbours__dot_product",
        "nearest_neighbours__unnormalised_query",
        "analogy__query_not_excluded",
        "analogy__raw_vectors",
        "analogy__offset_reversed",
    )


@pytest.fixture(scope="module")
def solution():
    """Namespace after running the set-up cell and every answer cell of the instructor notebook."""
    return run_cells(source_notebook(ASSIGNMENT), is_set_up_or_answer)


# ----------------------------------------------------------------------------------- BPE
def _symbols(word: str) -> tuple[str, ...]:
    return (*word[:-1], word[-1] + "</w>")


def _merges_by_steps(solution, counts: dict[str, int], num_merges: int, min_frequency: int = 2):
    """The merges of repeated bpe_merge_step calls, stopping as subword-nmt learn-bpe does (after
    num_merges, or when the best pair occurs fewer than min_frequency times)."""
    vocab = {_symbols(w): c for w, c in counts.items()}
    merges = []
    for _ in range(num_merges):
        pairs = solution["count_pairs"](vocab)
        if not pairs or max(pairs.values()) < min_frequency:
            break
        pair, vocab = solution["bpe_merge_step"](vocab)
        assert pairs[pair] == max(pairs.values())
        merges.append(pair)
    return merges, vocab


def _subword_nmt_merges(counts: dict[str, int], num_merges: int) -> list[tuple[str, str]]:
    """Merges of subword-nmt's learn_bpe (``learn-bpe --dict-input``), called in-process."""
    from subword_nmt.learn_bpe import learn_bpe

    vocab = io.StringIO("".join(f"{word} {count}\n" for word, count in counts.items()))
    codes = io.StringIO()
    with contextlib.redirect_stderr(io.StringIO()):  # its progress bar
        learn_bpe(vocab, codes, num_merges, is_dict=True)
    lines = codes.getvalue().split("\n")
    assert lines[0] == "#version: 0.2"
    return [tuple(line.split(" ")) for line in lines[1:] if line]


def _random_vocab(rng: random.Random) -> dict[tuple[str, ...], int]:
    alphabet = "abcd"[: rng.randint(1, 4)]
    vocab = {}
    for _ in range(rng.randint(1, 30)):
        word = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9)))
        vocab[_symbols(word)] = rng.randint(1, 6)
    return vocab


def test_count_pairs_matches_course_lib_and_a_recount(solution):
    from course_lib.bpe import count_pairs

    for trial in range(40):
        vocab = _random_vocab(random.Random(trial))
        got = solution["count_pairs"](vocab)
        assert isinstance(got, Counter) and got == count_pairs(vocab)
        recount = Counter()
        for symbols, count in vocab.items():
            for i in range(len(symbols) - 1):
                recount[symbols[i], symbols[i + 1]] += count
        assert got == recount


@pytest.mark.parametrize("bad", [{"low": 1}, {(): 2}, {("a", ""): 1}, {("a", "b"): 0},
                                 {("a", "b"): -1}, {("a", "b"): 2.0}, [(("a", "b"), 1)]])
def test_count_pairs_rejects_bad_input(solution, bad):
    with pytest.raises((ValueError, TypeError)):
        solution["count_pairs"](bad)


@pytest.mark.parametrize("counts", [
    {"low": 5, "lower": 2, "newest": 6, "widest": 3},  # the paper's toy corpus (ties at once)
    {"ab": 3, "ba": 3, "cd": 3, "dc": 3},  # all pairs tied
    {"aaaa": 2, "aaa": 3, "a": 7, "aaaaaaa": 1},  # overlapping pairs of one symbol
    {"abab": 4, "baba": 4, "abba": 4, "ab": 1},  # the same string built by two merges
    {"x": 9, "xy": 1, "yx": 1},  # the only pairs occur once: no merge
])
def test_merge_steps_learn_the_merges_of_subword_nmt(solution, counts):
    assert _merges_by_steps(solution, counts, 30)[0] == _subword_nmt_merges(counts, 30)


def test_merge_steps_on_random_corpora_match_subword_nmt_and_course_lib(solution):
    from course_lib.bpe import learn_bpe_slow

    for trial in range(40):
        rng = random.Random(trial)
        counts = Counter()
        for symbols in _random_vocab(rng):
            counts["".join(symbols).replace("</w>", "")] += rng.randint(1, 6)
        counts["ab"[: rng.randint(1, 2)] + "cd"] += 1  # a pair to count (subword-nmt needs one)
        num_merges = rng.randint(1, 40)
        ours = _merges_by_steps(solution, dict(counts), num_merges)[0]
        assert ours == _subword_nmt_merges(dict(counts), num_merges), dict(counts)
        assert ours == learn_bpe_slow(dict(counts), num_merges)


def test_merge_steps_on_wikipedia_match_subword_nmt(solution):
    from course_lib.datasets import load_corpus

    wiki = load_corpus("wiki", quick=True)
    counts = Counter(w for sentence in wiki.train[:400] for w in sentence)
    merges, vocab = _merges_by_steps(solution, dict(counts), 150)
    assert len(merges) == 150
    assert merges == _subword_nmt_merges(dict(counts), 150)
    # every word is still spelled by its symbols, and keeps its count
    assert {"".join(s).replace("</w>", ""): c for s, c in vocab.items()} == dict(counts)


def test_merge_step_leaves_its_input_alone_and_refuses_an_empty_merge(solution):
    vocab = {("a", "b"): 2, ("a", "b", "a", "b</w>"): 1}
    copy = dict(vocab)
    pair, new_vocab = solution["bpe_merge_step"](vocab)
    assert vocab == copy and new_vocab is not vocab
    assert (pair, new_vocab) == (("a", "b"), {("ab",): 2, ("ab", "a", "b</w>"): 1})
    with pytest.raises(ValueError, match="nothing to merge"):
        solution["bpe_merge_step"]({("ab</w>",): 4})


# ------------------------------------------------------------------------------ word2vec
def _torch_sgns(v_c, u_o, U):
    """(loss, d_center, d_context, d_negatives) by torch autograd, float64."""
    v, u, n = (torch.tensor(a, requires_grad=True) for a in (v_c, u_o, U))
    loss = -torch.nn.functional.logsigmoid(u @ v) - torch.nn.functional.logsigmoid(-(n @ v)).sum()
    loss.backward()
    return loss.item(), v.grad.numpy(), u.grad.numpy(), n.grad.numpy()


@pytest.mark.parametrize("D, K, scale", [(1, 1, 1.0), (5, 3, 1.0), (8, 0, 1.0), (16, 10, 0.3),
                                         (6, 4, 8.0), (3, 2, 40.0)])
def test_sgns_matches_torch_autograd(solution, rng, D, K, scale):
    v_c, u_o, U = scale * rng.normal(size=D), scale * rng.normal(size=D), scale * rng.normal(
        size=(K, D))
    got = solution["sgns_loss_and_grads"](v_c, u_o, U)
    want = _torch_sgns(v_c, u_o, U)
    assert isinstance(got[0], float) and np.isfinite(got[0])
    assert np.isclose(got[0], want[0], rtol=1e-12)
    for g, w in zip(got[1:], want[1:], strict=True):
        assert g.shape == w.shape and np.allclose(g, w, rtol=1e-10, atol=1e-12)


def test_sgns_matches_numerical_gradients_and_course_lib(solution, rng):
    from course_lib.gradcheck import numerical_gradient, rel_error
    from course_lib.word2vec import sgns_loss

    v_c, u_o, U = rng.normal(size=4), rng.normal(size=4), rng.normal(size=(5, 4))
    loss, *grads = solution["sgns_loss_and_grads"](v_c, u_o, U)
    for x, g in zip((v_c, u_o, U), grads, strict=True):
        numerical = numerical_gradient(lambda: solution["sgns_loss_and_grads"](v_c, u_o, U)[0], x)
        assert rel_error(g, numerical) < 1e-7
    # course_lib's loss of one center word, the pair's roles swapped (the loss is symmetric)
    W_in, W_out = np.vstack([v_c, np.zeros((5, 4))]), np.vstack([u_o, U])
    want_loss, d_in, d_out = sgns_loss(W_in, W_out, 0, [0], [1, 2, 3, 4, 5])
    assert np.isclose(loss, want_loss)
    for g, w in zip(grads, (d_in[0], d_out[0], d_out[1:]), strict=True):
        assert np.allclose(g, w, rtol=1e-12, atol=1e-14)


def test_sgns_is_stable_and_checks_shapes(solution):
    for s in (50.0, 800.0, 1e6):
        loss, d_center, d_context, d_negatives = solution["sgns_loss_and_grads"](
            np.array([1.0]), np.array([-s]), np.array([[s], [-s]]))
        assert np.isclose(loss, 2 * s, rtol=1e-12)  # -log sigma(-s) = s + log(1 + e^{-s})
        assert np.allclose(d_center, [2 * s]) and np.allclose(d_context, [-1.0])
        assert np.allclose(d_negatives, [[1.0], [0.0]])
    sgns = solution["sgns_loss_and_grads"]
    with pytest.raises(ValueError, match="center_vec"):
        sgns(np.ones((1, 3)), np.ones(3), np.ones((2, 3)))
    with pytest.raises(ValueError, match="context_vec"):
        sgns(np.ones(3), np.ones(4), np.ones((2, 3)))
    with pytest.raises(ValueError, match="negative_vecs"):
        sgns(np.ones(3), np.ones(3), np.ones(3))


# --------------------------------------------------------------------------- word vectors
def _keyed_vectors(words, vectors):
    from gensim.models import KeyedVectors

    keyed = KeyedVectors(vectors.shape[1], dtype=np.float64)
    keyed.add_vectors(list(words), vectors)
    return keyed


def _same_answers(got, want, atol=1e-6):
    return [w for w, _ in got] == [w for w, _ in want] and np.allclose(
        [s for _, s in got], [s for _, s in want], atol=atol)


def _random_vectors(rng, V=40, D=8):
    words = [f"word{i}" for i in range(V)]
    vectors = rng.normal(size=(V, D)) * rng.uniform(0.1, 10.0, size=(V, 1))
    return words, vectors


def test_nearest_neighbours_match_gensim_and_course_lib(solution, rng):
    from course_lib.word_vectors import WordVectors

    words, vectors = _random_vectors(rng)
    keyed, ours = _keyed_vectors(words, vectors), WordVectors(words, vectors)
    for word, topn in (("word0", 1), ("word7", 5), ("word39", 39), ("word12", 10)):
        got = solution["nearest_neighbours"](vectors, words, word, topn)
        assert all(isinstance(p, tuple) and isinstance(p[1], float) for p in got)
        assert _same_answers(got, keyed.most_similar(word, topn=topn))
        assert _same_answers(got, ours.nearest(word, topn), atol=1e-12)
    assert len(solution["nearest_neighbours"](vectors, words, "word3", 100)) == 39


def test_analogies_match_gensim_and_course_lib(solution, rng):
    from course_lib.word_vectors import WordVectors

    words, vectors = _random_vectors(rng)
    keyed, ours = _keyed_vectors(words, vectors), WordVectors(words, vectors)
    for _ in range(25):
        a, b, c = (words[i] for i in rng.choice(len(words), size=3, replace=False))
        topn = int(rng.integers(1, 12))
        got = solution["analogy"](vectors, words, a, b, c, topn)
        assert _same_answers(got, keyed.most_similar(positive=[b, c], negative=[a], topn=topn))
        assert [w for w, _ in got] == ours.analogy(a, b, c, topn=topn)
    got = solution["analogy"](vectors, words, "word1", "word1", "word2", 50)
    assert _same_answers(got, keyed.most_similar(positive=["word1", "word2"],
                                                 negative=["word1"], topn=50))
    assert len(got) == 38  # two distinct query words excluded


def test_vector_functions_name_the_unknown_word_and_check_arguments(solution, rng):
    words, vectors = _random_vectors(rng, V=5, D=3)
    with pytest.raises(ValueError, match="zebra"):
        solution["nearest_neighbours"](vectors, words, "zebra", 2)
    with pytest.raises(ValueError, match="okapi"):
        solution["analogy"](vectors, words, "word1", "okapi", "word2")
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="topn"):
            solution["nearest_neighbours"](vectors, words, "word1", bad)
        with pytest.raises(ValueError, match="topn"):
            solution["analogy"](vectors, words, "word1", "word2", "word3", bad)
    with pytest.raises(ValueError, match="vectors"):
        solution["nearest_neighbours"](vectors[:4], words, "word1", 2)
    with pytest.raises(ValueError, match="vectors"):
        solution["analogy"](vectors[None], words, "word1", "word2", "word3")


# -------------------------------------------------------------------- hidden-check tolerances
# other exact formulas for exercise 3: log1p and a hand-made sigmoid; they must pass
SGNS_OTHER_EXACT = """
def sgns_loss_and_grads(center_vec, context_vec, negative_vecs):
    v, u, U = (np.asarray(a, dtype=float) for a in (center_vec, context_vec, negative_vecs))
    if v.ndim != 1 or u.shape != v.shape or U.ndim != 2 or U.shape[1] != v.shape[0]:
        raise ValueError("shapes")

    def neg_log_sigmoid(x):
        return np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))

    def sig(x):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    s0, s = u @ v, U @ v
    loss = neg_log_sigmoid(s0) + np.sum(neg_log_sigmoid(-s))
    g0, g = -sig(-s0), sig(s)
    return loss, g0 * u + U.T @ g, g0 * v, g[:, None] * v[None, :]
"""
# right loss, gradients by centred differences: close, but not exact; it must fail
SGNS_FINITE_DIFFERENCES = """
def sgns_loss_and_grads(center_vec, context_vec, negative_vecs):
    v, u, U = (np.array(a, dtype=float) for a in (center_vec, context_vec, negative_vecs))
    if v.ndim != 1 or u.shape != v.shape or U.ndim != 2 or U.shape[1] != v.shape[0]:
        raise ValueError("shapes")

    def loss():
        return np.logaddexp(0, -(u @ v)) + np.logaddexp(0, U @ v).sum()

    grads = []
    for x in (v, u, U):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + 1e-5
            plus = loss()
            x[i] = old - 1e-5
            minus = loss()
            x[i] = old
            g[i] = (plus - minus) / 2e-5
        grads.append(g)
    return float(loss()), *grads
"""


def test_hidden_tolerances_take_exact_formulas_and_refuse_finite_differences():
    checks = load_checks(ROOT / SOURCE_DIR / ASSIGNMENT)
    source = source_notebook(ASSIGNMENT)
    exercise = next(e for e in checks.exercises if e.answer == "sgns_loss_and_grads")
    reference = reference_results(checks, source)[exercise.test]
    verdicts = {}
    for name, answer in (("exact", SGNS_OTHER_EXACT), ("finite", SGNS_FINITE_DIFFERENCES)):
        answers = {**answer_sources(source), exercise.answer: answer}
        got = run_answers(checks, set_up_source(source), answers, [exercise])[exercise.test]
        verdicts[name] = judge(exercise, got, reference)
    assert verdicts["exact"].ok, verdicts["exact"]
    assert not verdicts["finite"].ok and sum(verdicts["finite"].passed) >= 4  # only the values
