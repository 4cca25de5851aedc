"""Greedy decoding, sampling and beam search against brute-force enumeration on a tiny random GRU
model."""

import itertools
import math

import numpy as np
import pytest
import torch

from course_lib.decoding import Hypothesis, beam_search, greedy_decode, sample_decode, select_rows

BOS, EOS = 0, 1
V, H = 4, 8  # tokens: <s>=0, </s>=1, and two words


class TinyModel(torch.nn.Module):
    """A random conditional LM: GRU cell over token embeddings, state = hidden (N, H)."""

    def __init__(self, seed=0, eos_bias=0.0):
        super().__init__()
        torch.manual_seed(seed)
        self.embed = torch.nn.Embedding(V, H)
        self.cell = torch.nn.GRUCell(H, H)
        self.out = torch.nn.Linear(H, V)
        with torch.no_grad():
            self.out.bias[BOS] = -1e9  # <s> is never produced
            self.out.bias[EOS] += eos_bias
        self.double()  # float64: batched and one-by-one runs agree to 1e-12

    @torch.no_grad()
    def step(self, tokens, state):
        h = self.cell(self.embed(tokens), state["h"])  # (N, H)
        return torch.log_softmax(self.out(h), dim=1), {"h": h}

    def initial(self, batch_size, seed=1):
        g = torch.Generator().manual_seed(seed)
        return {"h": torch.randn(batch_size, H, generator=g, dtype=torch.float64)}

    @torch.no_grad()
    def log_prob(self, tokens, h0):
        """log p(tokens | h0) by teacher forcing; tokens may end with </s>."""
        state, prev, total = {"h": h0[None]}, torch.tensor([BOS]), 0.0
        for tok in tokens:
            lp, state = self.step(prev, state)
            total += float(lp[0, tok])
            prev = torch.tensor([tok])
        return total


def brute_force(model, h0, max_len, alpha):
    """Every sequence of words (ids 2..V-1) of length < max_len followed by </s>, and every one of
    length max_len without </s>; returns (score, tokens, log_prob) sorted best first."""
    results = []
    for length in range(0, max_len + 1):
        for words in itertools.product(range(2, V), repeat=length):
            seq = list(words) + ([EOS] if length < max_len else [])
            lp = model.log_prob(seq, h0)
            results.append((lp / len(seq) ** alpha, list(words), lp))
    return sorted(results, key=lambda r: -r[0])


@pytest.mark.parametrize("alpha", [0.0, 1.0, 0.6])
@pytest.mark.parametrize("seed,eos_bias", [(0, -1.0), (1, -1.5), (2, -2.0)])
def test_wide_beam_finds_the_brute_force_best(alpha, seed, eos_bias):
    model, max_len = TinyModel(seed, eos_bias), 5
    state = model.initial(3, seed)
    found = beam_search(model.step, state, 3, BOS, EOS, max_len, beam_size=64, alpha=alpha)
    for b in range(3):
        score, words, lp = brute_force(model, state["h"][b], max_len, alpha)[0]
        (hyp,) = found[b]
        assert hyp.tokens == words
        assert math.isclose(hyp.score, score, abs_tol=1e-9)
        assert math.isclose(hyp.log_prob, lp, abs_tol=1e-9)


def test_narrow_beam_can_miss_the_best_but_wide_never_does():
    """A beam of 1 (greedy) is not always optimal on these models: the test above is not trivial."""
    misses = 0
    for seed in range(4):
        model = TinyModel(seed, eos_bias=-1.5)
        state = model.initial(3, seed)
        greedy = greedy_decode(model.step, state, 3, BOS, EOS, 5)
        for b in range(3):
            best = brute_force(model, state["h"][b], 5, 0.0)[0]
            assert greedy[b].log_prob <= best[0] + 1e-9
            misses += greedy[b].tokens != best[1]
    assert misses > 0


@pytest.mark.parametrize("seed", range(4))
def test_beam_width_1_equals_greedy(seed):
    model = TinyModel(seed, eos_bias=-0.5)
    state = model.initial(6, seed)
    greedy = greedy_decode(model.step, state, 6, BOS, EOS, 7)
    beam = beam_search(model.step, state, 6, BOS, EOS, 7, beam_size=1, alpha=0.0)
    for g, (b,) in zip(greedy, beam, strict=True):
        assert g.tokens == b.tokens
        assert math.isclose(g.log_prob, b.log_prob, abs_tol=1e-9)


def test_greedy_by_hand():
    """A step function that says: word 2, then word 3, then </s>."""
    table = torch.log(torch.tensor([[0.0, 0.1, 0.6, 0.3],   # after <s>
                                    [0.0, 1.0, 0.0, 0.0],   # after </s> (unused)
                                    [0.0, 0.2, 0.1, 0.7],   # after word 2
                                    [0.0, 0.9, 0.05, 0.05]], dtype=torch.float64))

    def step(tokens, state):
        return table[tokens], state

    (hyp,) = greedy_decode(step, None, 1, BOS, EOS, 10)
    assert hyp.tokens == [2, 3]
    assert math.isclose(hyp.log_prob, math.log(0.6 * 0.7 * 0.9))
    (cut,) = greedy_decode(step, None, 1, BOS, EOS, 1)  # max_len 1: no </s> yet
    assert cut.tokens == [2]


def test_batch_equals_one_by_one():
    model = TinyModel(3, eos_bias=-1.0)
    state = model.initial(5, 3)
    together = beam_search(model.step, state, 5, BOS, EOS, 6, beam_size=3, alpha=1.0)
    for b in range(5):
        alone = beam_search(model.step, select_rows(state, torch.tensor([b])), 1, BOS, EOS, 6,
                            beam_size=3, alpha=1.0)
        assert alone[0][0].tokens == together[b][0].tokens
        assert math.isclose(alone[0][0].score, together[b][0].score, abs_tol=1e-9)


def test_early_stop_calls_fewer_steps():
    """Once </s> is certain the search stops instead of running to max_len."""
    calls = []
    table = torch.log(torch.tensor([[1e-9, 0.98, 0.01, 0.01]] * V, dtype=torch.float64))

    def step(tokens, state):
        calls.append(1)
        return table[tokens], state

    out = beam_search(step, None, 2, BOS, EOS, 50, beam_size=3, alpha=0.0)
    assert out[0][0] == Hypothesis([], math.log(0.98), math.log(0.98))
    assert len(calls) < 5


def test_bad_arguments():
    model = TinyModel()
    state = model.initial(2)
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(model.step, state, 2, BOS, EOS, 5, beam_size=0)
    with pytest.raises(ValueError, match="n_best"):
        beam_search(model.step, state, 2, BOS, EOS, 5, beam_size=2, n_best=3)
    with pytest.raises(ValueError, match="max_len"):
        greedy_decode(model.step, state, 2, BOS, EOS, 0)
    with pytest.raises(ValueError, match="log_probs"):
        greedy_decode(lambda t, s: (torch.zeros(3), s), None, 2, BOS, EOS, 5)
    with pytest.raises(TypeError, match="state"):
        select_rows("text", torch.tensor([0]))


def test_sampling_follows_the_model_distribution():
    """N copies of one input sampled at once: sequence frequencies match brute-force p(y)."""
    model, max_len, n = TinyModel(0, eos_bias=0.5), 3, 20000
    h0 = model.initial(1)["h"]
    samples = sample_decode(model.step, {"h": h0.repeat(n, 1)}, n, BOS, EOS, max_len,
                            np.random.default_rng(0))
    counts = {}
    for hyp in samples:
        counts[tuple(hyp.tokens)] = counts.get(tuple(hyp.tokens), 0) + 1
    exact = {tuple(words): math.exp(lp) for _, words, lp in brute_force(model, h0[0], max_len, 0)}
    assert math.isclose(sum(exact.values()), 1.0, abs_tol=1e-9)
    for seq, p in exact.items():
        assert abs(counts.get(seq, 0) / n - p) < 4 * math.sqrt(p * (1 - p) / n) + 1e-4
    for hyp in samples[:20]:  # log_prob is the model's own, before any reshaping
        ended = len(hyp.tokens) < max_len
        expected = model.log_prob(hyp.tokens + [EOS] * ended, h0[0])
        assert math.isclose(hyp.log_prob, expected, abs_tol=1e-9)


def test_sampling_options_and_determinism():
    model = TinyModel(2, eos_bias=-1.0)
    state = model.initial(5)
    greedy = greedy_decode(model.step, state, 5, BOS, EOS, 6, alpha=0.5)
    cold = sample_decode(model.step, state, 5, BOS, EOS, 6, np.random.default_rng(0),
                         temperature=0, alpha=0.5)
    assert cold == greedy
    top1 = sample_decode(model.step, state, 5, BOS, EOS, 6, np.random.default_rng(0), top_k=1)
    assert [h.tokens for h in top1] == [h.tokens for h in greedy]
    tiny_nucleus = sample_decode(model.step, state, 5, BOS, EOS, 6, np.random.default_rng(1),
                                 top_p=1e-6)
    assert [h.tokens for h in tiny_nucleus] == [h.tokens for h in greedy]
    runs = [sample_decode(model.step, state, 5, BOS, EOS, 6, np.random.default_rng(7),
                          temperature=2.0) for _ in range(2)]
    assert runs[0] == runs[1]
    other = sample_decode(model.step, state, 5, BOS, EOS, 6, np.random.default_rng(8),
                          temperature=2.0)
    assert [h.tokens for h in other] != [h.tokens for h in runs[0]]
    with pytest.raises(ValueError, match="temperature"):
        sample_decode(model.step, state, 5, BOS, EOS, 6, np.random.default_rng(0),
                      temperature=-1)
    with pytest.raises(TypeError, match="rng"):
        sample_decode(model.step, state, 5, BOS, EOS, 6, 0)
