import math

import numpy as np
import pytest

from course_lib.sampling import (
    apply_temperature,
    sample_from_logits,
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
        softmax(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="shape"):
        softmax([])
    with pytest.raises(ValueError, match="NaN"):
        softmax([0.0, np.nan])
    with pytest.raises(ValueError, match="finite"):
        softmax([-np.inf, -np.inf])
    with pytest.raises(TypeError, match="logits"):
        softmax(["a", "b"])
