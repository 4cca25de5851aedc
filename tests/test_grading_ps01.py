"""Homework 1 (n-gram LMs): its solutions are right and its grader gives the right points.

Fast tests run the solution code of the instructor notebook in-process against independent
references (nltk's n-gram models, torch, brute force). The slow tests grade fake students
with the real `nbgrader autograde` (see GradingSuite in tests/grading.py): the solution, the
untouched release, the mutants of tests/mutants/ps01_ngrams/ dealt into rounds (a wrong answer,
or a correct one that uses course_lib.ngram / course_lib.sampling), one who deleted a test cell
and one who edited the set-up cell and a test cell.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from grading import GradingSuite, is_set_up_or_answer, run_cells, source_notebook

ASSIGNMENT = "ps01_ngrams"


class TestPs01Grading(GradingSuite):
    ASSIGNMENT = ASSIGNMENT
    EXERCISES = ("padded_ngrams", "add_k_prob", "perplexity", "continuation_counts",
                 "kn_bigram_prob", "kn_model", "tune_discount", "top_k_temperature_probs")
    POINTS = 20
    WRITTEN_ID = "written_smoothing"
    WRITTEN_ANSWER = "Add-one gives almost all the mass to unseen words; KN counts contexts."
    DELETED = "test_add_k_prob"
    FEEDBACK_STUDENT = "kn_bigram_prob__unseen_context"
    CORE_FORBIDDEN = ("course_lib.ngram", "course_lib.sampling")
    VISIBLE_CATCHES = (
        "padded_ngrams__n_bos",
        "add_k_prob__no_errors",
        "perplexity__short_context",
        "top_k_temperature_probs__overflow",
        "top_k_temperature_probs__row_vector",
        "kn_model__lambda_without_types",
        "kn_model__no_unk",
        "kn_model__one_bos",
        "kn_model__raw_lower_counts",
        "kn_model__undiscounted_lower",
        "kn_model__unseen_context",
        "tune_discount__no_eos",
        "tune_discount__one_bos",
        "tune_discount__probability_product",
        "tune_discount__train_set",
    )


@pytest.fixture(scope="module")
def solution():
    """Namespace after running the set-up cell and every answer cell of the instructor notebook."""
    return run_cells(source_notebook(ASSIGNMENT), is_set_up_or_answer)


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


# ---------------------------------------------- Kneser-Ney of any order, and its tuned discount
def _kn_data():
    """A few hundred names (character lists) to train on and some held-out ones."""
    from course_lib.datasets import load_corpus

    names = load_corpus("names")
    return names.train[:300], names.valid[:60]


def _contexts(sentences, order):
    """Every context of order - 1 tokens that the padded sentences hold, plus an unseen one."""
    contexts = {("never",) * (order - 1)}
    for sentence in sentences:
        padded = ["<s>"] * (order - 1) + list(sentence)
        contexts |= {tuple(padded[i : i + order - 1]) for i in range(len(sentence) + 1)}
    return sorted(contexts)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_kn_model_equals_course_lib_ngram_and_sums_to_one(solution, order):
    """Exercise 6 gives NGramLM's Kneser-Ney probabilities, for every context of the training and
    validation names (unseen ones too) and every token of the vocabulary, <unk> included; each of
    these distributions sums to 1; <s> gets 0 and a token outside V the probability of <unk>."""
    from course_lib.ngram import NGramLM
    from course_lib.text import BOS, UNK

    train, valid = _kn_data()
    for discount in (0.3, 0.75):
        lm = NGramLM(order, "kneser_ney", discount=discount).fit(train)
        prob = solution["kn_model"](train, order, discount)
        for context in _contexts(train + valid, order):
            got = np.array([prob(context, w) for w in lm.vocab])
            assert np.allclose(got, lm.probs(context), rtol=1e-10, atol=1e-15), context
            assert math.isclose(got.sum(), 1.0)
            assert prob(context, BOS) == 0.0
            assert prob(context, "not a name letter") == prob(context, UNK)


def test_kn_model_equals_course_lib_ngram_on_words(solution):
    """The same on word sentences whose validation part holds words never seen in training."""
    from course_lib.ngram import NGramLM

    train = TRAIN + [["a", "dog", "sat"], ["the", "dog", "ran", "down"]]
    for order in (1, 2, 3, 4):
        lm = NGramLM(order, "kneser_ney", discount=0.6).fit(train)
        prob = solution["kn_model"](train, order, 0.6)
        for context in _contexts(train + TEST + [["an", "owl"]], order):
            got = [prob(context, w) for w in lm.vocab + ["owl"]]
            assert np.allclose(got, [*lm.probs(context), lm.prob("owl", context)])


def test_tune_discount_equals_course_lib_ngram(solution):
    """Exercise 7's perplexities are NGramLM's validation perplexities, and its best d theirs."""
    from course_lib.ngram import NGramLM

    train, valid = _kn_data()
    grid = [0.2, 0.5, 0.8, 0.95]
    for order in (1, 2, 3, 4):
        best, perplexities = solution["tune_discount"](train, valid, order, grid)
        want = [NGramLM(order, "kneser_ney", discount=d).fit(train).perplexity(valid)
                for d in grid]
        assert np.allclose(perplexities, want, rtol=1e-10)
        assert best == grid[int(np.argmin(want))]


def _padding_variant(source: str, wrong_order: int, pads: int) -> str:
    """An answer cell that pads with `pads` <s> at the order `wrong_order` (n - 1 elsewhere)."""
    right = "[BOS] * (order - 1)"
    assert right in source
    wrong = f"[BOS] * ({pads} if order == {wrong_order} else order - 1)"
    return source.replace(right, wrong)


@pytest.mark.parametrize("answer", ["kn_model", "tune_discount"])
def test_visible_tests_catch_a_wrong_number_of_bos_at_every_order(answer):
    """The visible tests fail for an answer that pads with a wrong number of <s> at any one
    order from 1 to 4, from none to one too many."""
    from grading import exercise_test_cells, grade_id, visible_test_passes

    nb = source_notebook(ASSIGNMENT)
    source = next(c.source for c in nb.cells if grade_id(c) == answer)
    assert answer in exercise_test_cells(nb)
    for order in (1, 2, 3, 4):
        for pads in range(0, order + 2):
            if pads != order - 1:
                variant = _padding_variant(source, order, pads)
                try:
                    passes = visible_test_passes(ASSIGNMENT, variant, answer)
                except Exception:  # an error stops the visible test cell as well
                    passes = False
                assert not passes, f"{answer} padded with {pads} <s> at order {order} passes"
