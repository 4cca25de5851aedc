import math

import numpy as np
import pytest

from course_lib.sampling import (
    apply_temperature,
    sample_from_logits,
    sample_rows,
    softmax,
    top_k_filter,
    top_p_filter,
)


def brute_softmax(z):
    e = [math.exp(v) if v != -math.inf else 0.0 for v in z]
    return np.array(e) / sum(e)


def brute_nucleus(probs, p):
    """Indices kept by top-p, by walking down the probabilities one by one."""
    order = sorted(range(len(probs)), key=lambda i: (-probs[i], i))
    kept, total = [], 0.0
    for i in order:
        kept.append(i)
        total += probs[i]
        if total >= p - 1e-12:
            break
    return set(kept)


def test_softmax_matches_brute_force_and_is_stable(rng):
    z = rng.standard_normal(7)
    assert np.allclose(softmax(z), brute_softmax(z), rtol=1e-13, atol=0)
    big = softmax([1000.0, 1001.0, -np.inf])  # exp(1000) overflows without the shift
    assert np.allclose(big, [1 / (1 + math.e), math.e / (1 + math.e), 0.0])
    assert softmax([3.0]).tolist() == [1.0]


def test_apply_temperature():
    z = np.array([1.0, -2.0, -np.inf])
    assert np.array_equal(apply_temperature(z, 0.5), [2.0, -4.0, -np.inf])
    # T > 1 flattens: the largest probability shrinks
    assert softmax(apply_temperature(z, 3.0)).max() < softmax(z).max()


def test_top_k_filter_matches_sorting(rng):
    z = rng.standard_normal(10)
    for k in (1, 3, 10, 50):
        out = top_k_filter(z, k)
        kept = set(np.flatnonzero(np.isfinite(out)))
        assert kept == set(sorted(range(10), key=lambda i: -z[i])[:k])
        assert np.array_equal(out[list(kept)], z[list(kept)])
    # ties: exactly k kept, lower index first
    assert np.isfinite(top_k_filter([1.0, 2.0, 2.0, 2.0], 2)).tolist() == [False, True, True, False]


def test_top_p_filter_by_hand_and_brute_force(rng):
    z = np.log([0.5, 0.3, 0.15, 0.05])
    keep = lambda p: np.flatnonzero(np.isfinite(top_p_filter(z, p))).tolist()  # noqa: E731
    assert keep(0.4) == [0]
    assert keep(0.5) == [0]  # exactly reaching p is enough
    assert keep(0.7) == [0, 1]
    assert keep(0.85) == [0, 1, 2]
    assert keep(1.0) == [0, 1, 2, 3]
    for _ in range(20):
        z = rng.standard_normal(8) * 2
        for p in (0.1, 0.5, 0.9, 0.99):
            kept = set(np.flatnonzero(np.isfinite(top_p_filter(z, p))))
            assert kept == brute_nucleus(brute_softmax(z), p)


def test_sample_frequencies_match_probabilities():
    z = np.log([0.1, 0.2, 0.3, 0.4, 1e-300])
    rng = np.random.default_rng(0)
    n = 20000
    for temperature in (1.0, 2.0):
        draws = [sample_from_logits(z, rng, temperature=temperature) for _ in range(n)]
        freq = np.bincount(draws, minlength=5) / n
        expected = brute_softmax(z / temperature)
        # 4 standard deviations of a frequency at most 0.5 * 0.5 / 20000
        assert np.abs(freq - expected).max() < 4 * math.sqrt(0.25 / n)


def test_never_samples_outside_top_k_or_nucleus(rng):
    z = rng.standard_normal(20)
    top3 = set(np.argsort(-z)[:3])
    nucleus = brute_nucleus(brute_softmax(z), 0.6)
    gen = np.random.default_rng(1)
    k_draws = {sample_from_logits(z, gen, top_k=3) for _ in range(2000)}
    assert k_draws == top3  # every kept token is reachable, nothing else
    p_draws = {sample_from_logits(z, gen, top_p=0.6) for _ in range(2000)}
    assert p_draws == nucleus
    both = {sample_from_logits(z, gen, top_k=5, top_p=0.6) for _ in range(500)}
    assert both <= nucleus and len(both) <= 5
    masked = np.array([0.0, -np.inf, 0.0])
    assert 1 not in {sample_from_logits(masked, gen) for _ in range(500)}


def test_greedy_and_top_k_one_and_determinism(rng):
    z = rng.standard_normal(30)
    best = int(np.argmax(z))
    gen = np.random.default_rng(0)
    assert sample_from_logits(z, gen, temperature=0) == best
    assert all(sample_from_logits(z, gen, temperature=5.0, top_k=1) == best for _ in range(50))
    r1, r2 = np.random.default_rng(7), np.random.default_rng(7)
    assert [sample_from_logits(z, r1) for _ in range(50)] == [
        sample_from_logits(z, r2) for _ in range(50)
    ]
    assert isinstance(sample_from_logits(z, gen), int)


def test_errors():
    gen = np.random.default_rng(0)
    with pytest.raises(ValueError, match="temperature"):
        apply_temperature([1.0], 0)
    with pytest.raises(ValueError, match="temperature"):
        sample_from_logits([1.0], gen, temperature=-1)
    with pytest.raises(ValueError, match="k must"):
        top_k_filter([1.0, 2.0], 0)
    with pytest.raises(ValueError, match="k must"):
        top_k_filter([1.0, 2.0], 1.5)
    for p in (0, 1.5, -0.1):
        with pytest.raises(ValueError, match="p must"):
            top_p_filter([1.0, 2.0], p)
    with pytest.raises(ValueError, match="k must"):
        sample_from_logits([1.0, 2.0], gen, temperature=0, top_k=0)  # checked even when greedy
    with pytest.raises(TypeError, match="rng"):
        sample_from_logits([1.0], 0)
    with pytest.raises(ValueError, match="shape"):
        softmax(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="every row"):
        softmax([[0.0, 1.0], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match=r"shape \(V,\)"):
        sample_from_logits(np.zeros((2, 3)), gen)
    with pytest.raises(ValueError, match=r"shape \(N, V\)"):
        sample_rows(np.zeros(3), gen)
    with pytest.raises(ValueError, match="p must"):
        sample_rows(np.zeros((2, 3)), gen, temperature=0, top_p=2.0)
    with pytest.raises(ValueError, match="shape"):
        softmax([])
    with pytest.raises(ValueError, match="NaN"):
        softmax([0.0, np.nan])
    with pytest.raises(ValueError, match="finite"):
        softmax([-np.inf, -np.inf])
    with pytest.raises(TypeError, match="logits"):
        softmax(["a", "b"])


def test_batched_transforms_equal_row_by_row(rng):
    z = rng.standard_normal((6, 9)) * 2
    z[2, [0, 4]] = -np.inf
    for transform, arg in ((apply_temperature, 0.7), (top_k_filter, 3), (top_p_filter, 0.8)):
        batched = transform(z, arg)
        assert batched.shape == z.shape
        assert np.array_equal(batched, np.stack([transform(row, arg) for row in z]))
    assert np.array_equal(softmax(z), np.stack([softmax(row) for row in z]))
    assert np.allclose(softmax(z).sum(axis=1), 1.0)


def test_one_row_draws_what_numpys_choice_draws(rng):
    """sample_rows inverts the CDF with the uniform that Generator.choice would use."""
    for seed in range(200):
        z = rng.standard_normal(7) * 3
        ours = sample_from_logits(z, np.random.default_rng(seed), temperature=1.3, top_k=5)
        probs = softmax(top_k_filter(apply_temperature(z, 1.3), 5))
        assert ours == np.random.default_rng(seed).choice(7, p=probs)


def test_rows_are_sampled_independently_in_order(rng):
    """Row n uses the n-th uniform: the batch equals one draw per row, in row order."""
    z = rng.standard_normal((50, 5))
    batch = sample_rows(z, np.random.default_rng(3), top_p=0.9)
    one_by_one = np.random.default_rng(3)
    assert batch.tolist() == [sample_from_logits(row, one_by_one, top_p=0.9) for row in z]
    assert np.array_equal(sample_rows(z, rng, temperature=0), np.argmax(z, axis=1))
    # a batch of identical rows follows the distribution
    rows = np.tile(np.log([0.1, 0.6, 0.3]), (20000, 1))
    freq = np.bincount(sample_rows(rows, np.random.default_rng(0)), minlength=3) / 20000
    assert np.abs(freq - [0.1, 0.6, 0.3]).max() < 4 * math.sqrt(0.25 / 20000)
