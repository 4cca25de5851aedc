"""course_lib.metrics.corpus_bleu against sacrebleu's corpus_bleu on the same tokens (to 1e-9)."""

import math

import numpy as np
import pytest
import sacrebleu

from course_lib.metrics import (
    brevity_penalty,
    clipped_matches,
    closest_reference_length,
    corpus_bleu,
)

WORDS = "the a cat dog sat on mat . is".split()


def sacre(hyps, refs_per_sentence, smooth="none", value=None, effective_order=False):
    """sacrebleu on space-joined tokens; refs_per_sentence[i] is a list of token lists."""
    n_refs = len(refs_per_sentence[0])
    streams = [[" ".join(refs[k]) for refs in refs_per_sentence] for k in range(n_refs)]
    return sacrebleu.corpus_bleu([" ".join(h) for h in hyps], streams, tokenize="none",
                                 smooth_method=smooth, smooth_value=value, force=True,
                                 use_effective_order=effective_order)


def random_corpus(rng, n, n_refs, max_len, p_empty=0.1):
    def sentence(min_len=0):
        length = rng.integers(min_len, max_len + 1)
        return [WORDS[i] for i in rng.integers(0, len(WORDS), length)]
    def noisy_copy(tokens):  # a hypothesis close to a reference: some tokens replaced
        return [WORDS[rng.integers(len(WORDS))] if rng.random() < 0.3 else t for t in tokens]
    refs = [[sentence(1) for _ in range(n_refs)] for _ in range(n)]
    hyps = [[] if rng.random() < p_empty else noisy_copy(r[0]) if rng.random() < 0.5
            else sentence() for r in refs]
    return hyps, refs


@pytest.mark.parametrize("smooth", ["none", "floor", "add-k", "exp"])
@pytest.mark.parametrize("n_refs", [1, 3])
@pytest.mark.parametrize("max_len", [5, 12])
def test_equals_sacrebleu_on_random_corpora(smooth, n_refs, max_len):
    rng = np.random.default_rng(7 * n_refs + max_len)
    seen_positive = False
    for trial in range(40):
        hyps, refs = random_corpus(rng, int(rng.integers(1, 8)), n_refs, max_len)
        ours = corpus_bleu(hyps, refs, smooth=smooth)
        theirs = sacre(hyps, refs, smooth)
        assert math.isclose(ours.score, theirs.score, rel_tol=0, abs_tol=1e-9), (trial, hyps)
        assert ours.hyp_len == theirs.sys_len and ours.ref_len == theirs.ref_len
        assert math.isclose(ours.brevity_penalty, theirs.bp, abs_tol=1e-12)
        np.testing.assert_allclose(ours.precisions, theirs.precisions, atol=1e-9)
        seen_positive |= ours.score > 0
    assert seen_positive  # the comparison was not all zeros


@pytest.mark.parametrize("smooth,value", [("floor", 0.5), ("add-k", 2.0)])
def test_smoothing_values(smooth, value):
    rng = np.random.default_rng(1)
    for _ in range(20):
        hyps, refs = random_corpus(rng, 3, 2, 6)
        assert math.isclose(corpus_bleu(hyps, refs, smooth=smooth, smooth_value=value).score,
                            sacre(hyps, refs, smooth, value).score, abs_tol=1e-9)


def test_effective_order_equals_sacrebleu():
    rng = np.random.default_rng(2)
    for _ in range(20):
        hyps, refs = random_corpus(rng, 2, 1, 4)
        assert math.isclose(corpus_bleu(hyps, refs, smooth="exp", effective_order=True).score,
                            sacre(hyps, refs, "exp", effective_order=True).score, abs_tol=1e-9)


def test_corner_cases_equal_sacrebleu():
    cat = "the cat sat on the mat".split()
    cases = [
        ([[]], [[cat]]),  # empty hypothesis
        ([[], []], [[cat], [["a"]]]),  # all empty
        ([["the"]], [[cat]]),  # one token: no 2-, 3-, 4-grams at all
        ([["the", "cat"]], [[["the", "cat"]]]),  # shorter than 4 tokens, perfect
        ([cat], [[cat]]),  # perfect match: 100
        ([cat, []], [[cat], [cat]]),
    ]
    for hyps, refs in cases:
        for smooth in ("none", "exp", "floor", "add-k"):
            assert math.isclose(corpus_bleu(hyps, refs, smooth=smooth).score,
                                sacre(hyps, refs, smooth).score, abs_tol=1e-9), (hyps, smooth)
    assert corpus_bleu([cat], [cat]).score == pytest.approx(100.0)


def test_single_reference_shorthand():
    hyp, ref = "the cat is on a mat".split(), "the cat sat on the mat".split()
    assert corpus_bleu([hyp], [ref]) == corpus_bleu([hyp], [[ref]])


def test_clipping_by_hand():
    # "the the the the" against "the cat": the is credited once, not four times
    assert clipped_matches(["the"] * 4, [["the", "cat"]], 1) == (1, 4)
    # the clip is the max over references
    assert clipped_matches(["the"] * 4, [["the", "cat"], ["the", "the"]], 1) == (2, 4)
    assert clipped_matches(["a", "b"], [["a", "b"]], 3) == (0, 0)


def test_brevity_penalty_and_closest_reference():
    assert brevity_penalty(10, 8) == 1.0
    assert brevity_penalty(5, 10) == pytest.approx(math.exp(-1))
    assert brevity_penalty(0, 3) == 0.0
    assert closest_reference_length(5, [3, 7, 9]) == 3  # tie 3 vs 7: the shorter
    assert closest_reference_length(6, [3, 7, 9]) == 7


def test_bad_input():
    with pytest.raises(ValueError, match="same length"):
        corpus_bleu([["a"]], [])
    with pytest.raises(TypeError, match="hypotheses"):
        corpus_bleu(["a cat"], [["a", "cat"]])
    with pytest.raises(ValueError, match="smooth"):
        corpus_bleu([["a"]], [["a"]], smooth="laplace")
    with pytest.raises(TypeError, match="references"):
        corpus_bleu([["a"]], ["a"])
