"""Homework 6 (neural machine translation): its solutions are right and its grader gives the right
points.

Fast tests run the solution code of the instructor notebook in-process against independent
references: the masked loss against torch's F.cross_entropy(ignore_index=...) and its autograd
gradients; the attention decoder step against course_lib.seq2seq's decoder (copied weights, its
convention: context from the previous state, GRU input [e(y); c]) and course_lib.attention's
additive attention; beam search against brute force over every output (a beam wide enough to keep
every hypothesis) and, with a beam of 1, against course_lib.decoding's greedy decoding; BLEU
against sacrebleu (no tokenisation; no smoothing, and its default "exp" smoothing wherever every
precision is positive) and course_lib.metrics. The slow tests (GradingSuite in tests/grading.py)
grade fake students with the real `nbgrader autograde`: the solution, the untouched release, the
mutants of tests/mutants/ps06_nmt/ in rounds (a wrong answer, or a right one that imports a module
of FORBIDDEN in solutions/ps06_nmt/checks.py, absent while grading: course_lib's seq2seq,
decoding, metrics and attention modules, or sacrebleu), and one who deleted a test cell.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import sacrebleu
import torch
import torch.nn.functional as F
from grading import GradingSuite, is_set_up_or_answer, run_cells, source_notebook

from course_lib.attention import AdditiveAttention
from course_lib.decoding import greedy_decode
from course_lib.metrics import corpus_bleu as course_bleu
from course_lib.seq2seq import Seq2Seq

ASSIGNMENT = "ps06_nmt"


class TestPs06Grading(GradingSuite):
    ASSIGNMENT = ASSIGNMENT
    EXERCISES = ("masked_nll", "decoder_step", "beam_search", "corpus_bleu")
    POINTS = {"test_masked_nll": 3, "test_decoder_step": 5, "test_beam_search": 4,
              "test_corpus_bleu": 4}
    WRITTEN_ID = "written_search_and_bleu"
    WRITTEN_ANSWER = "Log-probabilities only fall with length; BLEU counts n-grams, not meaning."
    DELETED = "test_beam_search"
    FEEDBACK_STUDENT = "decoder_step__partial_checks"  # passes the visible tests only
    CORE_FORBIDDEN = ("course_lib.seq2seq", "course_lib.decoding", "course_lib.metrics",
                      "course_lib.attention")
    VISIBLE_CATCHES = (
        "masked_nll__includes_padding",
        "masked_nll__all_positions_mean",
        "masked_nll__sum_not_mean",
        "decoder_step__attends_to_padding",
        "decoder_step__softmax_over_batch",
        "decoder_step__query_is_new_state",
        "beam_search__finished_keep_expanding",
        "beam_search__no_length_normalisation",
        "beam_search__per_hypothesis_topk",
        "corpus_bleu__no_clipping",
        "corpus_bleu__inverted_brevity",
        "corpus_bleu__sentence_average",
        "corpus_bleu__arithmetic_mean",
    )

    def test_third_party_bleu_libraries_are_forbidden_too(self):
        assert {"sacrebleu", "nltk"} <= set(self.checks().forbidden)


@pytest.fixture(scope="module")
def solution():
    """Namespace after running the set-up cell and every answer cell of the instructor notebook."""
    return run_cells(source_notebook(ASSIGNMENT), is_set_up_or_answer)


# ------------------------------------------------------------------------------ masked_nll
def _padded_targets(g, N, T, V, pad_id):
    """(N, T) targets with real tokens != pad_id, right padding and holes; row 0 starts real."""
    targets = torch.randint(0, V, (N, T), generator=g)
    targets[targets == pad_id] = (pad_id + 1) % V
    real = torch.rand(N, T, generator=g) < 0.7
    real[:, 0] = True
    real &= torch.arange(T)[None, :] < torch.randint(1, T + 1, (N,), generator=g)[:, None]
    return targets.masked_fill(~real, pad_id), int(real.sum())


@pytest.mark.parametrize("N, T, V, pad_id", [(1, 1, 2, 0), (3, 5, 6, 0), (4, 7, 9, 3),
                                             (2, 6, 5, 4)])
def test_masked_nll_equals_cross_entropy_and_its_gradient(solution, N, T, V, pad_id):
    g = torch.Generator().manual_seed(N * T + V)
    logits = 3 * torch.randn(N, T, V, generator=g, dtype=torch.float64)
    targets, n_real = _padded_targets(g, N, T, V, pad_id)
    mine, ref = logits.clone().requires_grad_(True), logits.clone().requires_grad_(True)
    loss, n_tokens = solution["masked_nll"](torch.log_softmax(mine, dim=2), targets, pad_id)
    want = F.cross_entropy(ref.reshape(N * T, V), targets.reshape(N * T), ignore_index=pad_id)
    assert n_tokens == n_real and type(n_tokens) is int
    assert loss.shape == () and torch.isclose(loss, want, rtol=1e-12, atol=0)
    loss.backward()
    want.backward()
    assert torch.allclose(mine.grad, ref.grad, rtol=1e-10, atol=1e-14)


def test_masked_nll_rejects_bad_input(solution):
    log_probs = torch.log_softmax(torch.randn(2, 3, 4, dtype=torch.float64), dim=2)
    targets = torch.tensor([[1, 2, 0], [3, 0, 0]])
    for args in [(log_probs[0], targets, 0), (log_probs, targets[:, :2], 0),
                 (log_probs, torch.zeros_like(targets), 0)]:
        with pytest.raises(ValueError):
            solution["masked_nll"](*args)


# ---------------------------------------------------------------------------- decoder_step
def _decoder_inputs(seed, N, S, K, H, lengths):
    g = torch.Generator().manual_seed(seed)
    h_prev = torch.randn(N, H, generator=g, dtype=torch.float64)
    enc = torch.randn(N, S, K, generator=g, dtype=torch.float64)
    mask = torch.arange(S)[None, :] < torch.tensor(lengths)[:, None]
    return h_prev, enc, mask


@pytest.mark.parametrize("seed", range(3))
def test_decoder_step_equals_the_course_decoder(solution, seed):
    """course_lib.seq2seq's decoder step (its GRU cell, embeddings and additive attention, with
    the homework's weights copied in) gives the same state and weights; the output layer reads
    [s_i; c_i] with the course's context."""
    V, E, H, A, N, S = 9, 4, 6, 5, 4, 7
    dec = solution["AttentionDecoder"](V, E, H, H, A, seed=seed)  # K = H, as the course's model
    model = Seq2Seq(V, V, embed_dim=E, hidden_size=H, attention="additive", attention_dim=A,
                    dropout=0.0).double().eval()
    with torch.no_grad():
        model.tgt_embed.weight.copy_(dec.embedding.weight)
        model.cell.load_state_dict(dec.cell.state_dict())
        for name in ("W1", "W2", "v"):
            getattr(model.attention, name).weight.copy_(getattr(dec, name).weight)
    h_prev, enc, mask = _decoder_inputs(seed, N, S, H, H, [7, 1, 4, 6])
    y_prev = torch.tensor([1, 8, 3, 0])
    state = {"h": h_prev, "keys": enc, "mask": mask, "proj": model.attention.project_keys(enc)}
    with torch.no_grad():
        want_h, context, want_w = model._step(model.tgt_embed(y_prev), state)
        want_lp = torch.log_softmax(dec.out(torch.cat([want_h, context], dim=1)), dim=1)
        log_probs, h, weights = solution["decoder_step"](y_prev, h_prev, enc, mask, dec)
    assert torch.allclose(weights, want_w, atol=1e-12) and torch.all(weights[~mask] == 0)
    assert torch.allclose(h, want_h, atol=1e-12)
    assert torch.allclose(log_probs, want_lp, atol=1e-12)


def test_decoder_step_attention_equals_additive_attention_when_sizes_differ(solution):
    V, E, K, H, A, N, S = 6, 3, 5, 4, 7, 3, 4
    dec = solution["AttentionDecoder"](V, E, K, H, A, seed=4)
    attention = AdditiveAttention(H, K, A).double()
    with torch.no_grad():
        for name in ("W1", "W2", "v"):
            getattr(attention, name).weight.copy_(getattr(dec, name).weight)
    h_prev, enc, mask = _decoder_inputs(5, N, S, K, H, [2, 4, 1])
    with torch.no_grad():
        context, want_w = attention(h_prev, enc, mask)
        _, h, weights = solution["decoder_step"](torch.tensor([0, 5, 2]), h_prev, enc, mask, dec)
        want_h = dec.cell(torch.cat([dec.embedding(torch.tensor([0, 5, 2])), context], 1), h_prev)
    assert torch.allclose(weights, want_w, atol=1e-12)
    assert torch.allclose(h, want_h, atol=1e-12)


def test_decoder_step_sentences_of_a_batch_equal_the_sentences_alone(solution):
    V, E, K, H, A, N, S = 7, 3, 4, 5, 3, 4, 6
    dec = solution["AttentionDecoder"](V, E, K, H, A, seed=6)
    lengths = [6, 2, 5, 1]
    h_prev, enc, mask = _decoder_inputs(7, N, S, K, H, lengths)
    y_prev = torch.tensor([3, 0, 6, 2])
    with torch.no_grad():
        batch = solution["decoder_step"](y_prev, h_prev, enc, mask, dec)
        for b, n in enumerate(lengths):
            alone = solution["decoder_step"](y_prev[b : b + 1], h_prev[b : b + 1],
                                             enc[b : b + 1, :n], mask[b : b + 1, :n], dec)
            for got, want in zip(alone, (batch[0][b], batch[1][b], batch[2][b, :n]), strict=True):
                assert torch.allclose(got[0], want, atol=1e-12)


def test_decoder_step_rejects_bad_masks(solution):
    dec = solution["AttentionDecoder"](5, 2, 3, 4, 2, seed=0)
    h_prev, enc, mask = _decoder_inputs(0, 2, 3, 3, 4, [3, 1])
    y_prev = torch.tensor([1, 2])
    for bad in (mask[:, :2], mask[0], mask & torch.tensor([[True], [False]])):
        with pytest.raises(ValueError):
            solution["decoder_step"](y_prev, h_prev, enc, bad, dec)


# ----------------------------------------------------------------------------- beam_search
def _brute_force(lm, max_len, alpha, words):
    """(tokens, score, log_prob) of the best of every output, scored independently: the
    log-probabilities of whole sequences by teacher forcing in one batch per length."""
    best = None
    for length in range(max_len + 1):
        seqs = [list(s) + ([1] if length < max_len else [])
                for s in itertools.product(words, repeat=length)]
        inputs = torch.tensor([[0] + s[:-1] for s in seqs])  # (M, L): <s> and the prefix
        targets = torch.tensor(seqs)
        state, total = lm.start.expand(len(seqs), -1), torch.zeros(len(seqs), dtype=torch.float64)
        for t in range(targets.shape[1]):
            log_probs, state = lm.step(inputs[:, t], state)
            total += log_probs.gather(1, targets[:, t : t + 1]).squeeze(1)
        for seq, log_prob in zip(seqs, total.tolist(), strict=True):
            score = log_prob / len(seq) ** alpha
            if best is None or score > best[1]:
                best = (seq[:length], score, log_prob)
    return best


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
@pytest.mark.parametrize("seed, eos_bias", [(0, -1.0), (1, -0.5), (2, 0.0), (3, -1.5)])
def test_wide_beam_equals_brute_force(solution, seed, eos_bias, alpha):
    lm = solution["TinyLM"](V=4, eos_bias=eos_bias, seed=seed)  # <s> = 0, </s> = 1, words 2, 3
    max_len = 6
    tokens, score = solution["beam_search"](lm.step, lm.start, 0, 1, 2**max_len, max_len, alpha)
    want_tokens, want_score, _ = _brute_force(lm, max_len, alpha, [2, 3])
    assert tokens == want_tokens and math.isclose(score, want_score, rel_tol=1e-9)


def test_narrow_beams_miss_the_best_sometimes(solution):
    """The brute-force comparison above is not trivial: greedy search often misses the best."""
    misses = 0
    for seed in range(8):
        lm = solution["TinyLM"](V=4, eos_bias=-1.0, seed=seed)
        greedy = solution["beam_search"](lm.step, lm.start, 0, 1, 1, 6, 1.0)
        misses += greedy[0] != _brute_force(lm, 6, 1.0, [2, 3])[0]
    assert misses > 0


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_beam_of_one_equals_greedy_decoding(solution, seed, alpha):
    lm = solution["TinyLM"](V=6, eos_bias=-0.5, seed=seed)
    tokens, score = solution["beam_search"](lm.step, lm.start, 0, 1, 1, 9, alpha)
    (greedy,) = greedy_decode(lm.step, lm.start, 1, 0, 1, 9, alpha)
    assert tokens == greedy.tokens and math.isclose(score, greedy.score, rel_tol=1e-9)


def test_beam_search_rejects_bad_sizes(solution):
    lm = solution["TinyLM"]()
    for beam_size, max_len in ((0, 5), (2, 0)):
        with pytest.raises(ValueError):
            solution["beam_search"](lm.step, lm.start, 0, 1, beam_size, max_len, 1.0)


# ----------------------------------------------------------------------------- corpus_bleu
WORDS = "the a cat dog sat on mat . is".split()


def _random_corpus(rng, n, max_len, p_empty=0.1):
    def sentence(length):
        return [WORDS[i] for i in rng.integers(0, len(WORDS), length)]

    refs = [sentence(rng.integers(1, max_len + 1)) for _ in range(n)]
    hyps = []
    for ref in refs:
        if rng.random() < p_empty:
            hyps.append([])
        else:
            hyp = [WORDS[rng.integers(len(WORDS))] if rng.random() < 0.3 else t for t in ref]
            cut = int(rng.integers(-2, 3))
            hyps.append(hyp[:cut] if cut < 0 else hyp + sentence(cut))
    return hyps, refs


def _sacre(hyps, refs, max_n, smooth):
    bleu = sacrebleu.metrics.BLEU(tokenize="none", smooth_method=smooth, max_ngram_order=max_n,
                                  force=True)
    return bleu.corpus_score([" ".join(h) for h in hyps], [[" ".join(r) for r in refs]])


@pytest.mark.parametrize("max_n", [1, 2, 3, 4])
def test_corpus_bleu_equals_sacrebleu_and_the_course(solution, max_n):
    rng = np.random.default_rng(max_n)
    positive = 0
    for _ in range(60):
        hyps, refs = _random_corpus(rng, int(rng.integers(1, 8)), int(rng.integers(2, 14)))
        got = solution["corpus_bleu"](hyps, refs, max_n=max_n)
        plain = _sacre(hyps, refs, max_n, "none")
        assert math.isclose(got, plain.score, rel_tol=1e-12, abs_tol=1e-12), (hyps, refs)
        assert math.isclose(got, course_bleu(hyps, refs, max_order=max_n).score, abs_tol=1e-12)
        if min(plain.counts) > 0:  # every precision > 0: the default smoothing changes nothing
            positive += 1
            assert math.isclose(got, _sacre(hyps, refs, max_n, "exp").score, rel_tol=1e-12)
    assert positive >= 10  # the comparisons were not all zeros


def test_corpus_bleu_corner_cases(solution):
    bleu = solution["corpus_bleu"]
    cat = "the cat is on the mat".split()
    assert bleu([[], []], [cat, cat]) == 0.0  # c = 0
    assert bleu([cat[:3]], [cat]) == 0.0  # no 4-gram at all: p_4 undefined, BLEU 0
    # clipping across repeats: every n-gram of the reference counts once, BP = 1 (c = 12 > r = 6)
    assert math.isclose(bleu([cat + cat], [cat]), 100 * (6 / 12 * 5 / 11 * 4 / 10 * 3 / 9) ** 0.25)
    with pytest.raises(ValueError):
        bleu([], [])
    with pytest.raises(ValueError):
        bleu([cat], [cat, cat])
