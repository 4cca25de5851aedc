"""Turning a language model's scores into a sampled next token.

Every language model of the course (n-gram, RNN, LSTM, GRU, attention decoder) ends in a vector of
V logits z (unnormalised log-probabilities, one per vocabulary entry). This module turns z into a
token id, in this order:

1. temperature T:  z / T. T < 1 sharpens the distribution, T > 1 flattens it; T -> 0 is the
   argmax (greedy decoding, asked for here with T = 0) and T -> inf is the uniform distribution.
2. top-k: keep the k largest logits, set the others to -inf (probability 0).
3. top-p (nucleus): sort the probabilities p = softmax(z) in decreasing order and keep the smallest
   prefix whose total probability reaches p; the rest get -inf.
4. softmax(z)_i = exp(z_i - max z) / sum_j exp(z_j - max z) (subtracting the max changes nothing
   mathematically and keeps exp from overflowing), then draw one id from it.

A logit of -inf means "probability exactly 0" and is allowed everywhere (an n-gram model gives log 0
to impossible tokens); NaN and +inf are rejected.

References: Ackley, Hinton & Sejnowski (1985) for the temperature of a Boltzmann distribution;
Fan, Lewis & Dauphin (2018), "Hierarchical Neural Story Generation", for top-k sampling;
Holtzman et al. (2020), "The Curious Case of Neural Text Degeneration", for nucleus sampling.
"""

from __future__ import annotations

import numpy as np

# cumulative probabilities within this of p count as reaching p (float round-off in the cumsum)
_TOP_P_TOL = 1e-12


def _as_logits(logits) -> np.ndarray:
    """Validated float64 copy of a 1-D logit vector (V,), V >= 1, at least one finite entry."""
    try:
        z = np.array(logits, dtype=np.float64)
    except (TypeError, ValueError) as err:
        kind = type(logits).__name__
        raise TypeError(f"logits must be a 1-D array of numbers, got {kind}") from err
    if z.ndim != 1 or z.size == 0:
        raise ValueError(f"logits must be a non-empty 1-D array of shape (V,), got shape {z.shape}")
    if np.isnan(z).any() or np.isposinf(z).any():
        raise ValueError("logits must not contain NaN or +inf")
    if not np.isfinite(z).any():
        raise ValueError("logits must have at least one finite entry (all are -inf)")
    return z


def apply_temperature(logits, temperature: float) -> np.ndarray:
    """Divide the logits by a temperature.

    Inputs:
    - logits: (V,) array of floats (-inf allowed).
    - temperature: float > 0.

    Returns:
    - scaled: (V,) float64 array, logits / temperature.
    """
    z = _as_logits(logits)
    if not isinstance(temperature, int | float | np.number) or not temperature > 0:
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}")
    return z / float(temperature)


def top_k_filter(logits, k: int) -> np.ndarray:
    """Keep the k largest logits and set every other entry to -inf.

    Ties are broken by position (the lower index wins), so exactly min(k, V) entries are kept.

    Inputs:
    - logits: (V,) array of floats (-inf allowed).
    - k: int >= 1; k >= V keeps everything.

    Returns:
    - filtered: (V,) float64 array.
    """
    z = _as_logits(logits)
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    keep = np.argsort(-z, kind="stable")[:k]
    out = np.full_like(z, -np.inf)
    out[keep] = z[keep]
    return out


def top_p_filter(logits, p: float) -> np.ndarray:
    """Nucleus filter: keep the smallest set of most probable entries whose probability >= p.

    Inputs:
    - logits: (V,) array of floats (-inf allowed).
    - p: float with 0 < p <= 1; p = 1 keeps every entry of nonzero probability.

    Returns:
    - filtered: (V,) float64 array, the kept logits unchanged and the others -inf.
    """
    z = _as_logits(logits)
    if not isinstance(p, int | float | np.number) or not 0 < p <= 1:
        raise ValueError(f"p must be a number with 0 < p <= 1, got {p!r}")
    order = np.argsort(-z, kind="stable")  # most probable first
    cumulative = np.cumsum(softmax(z)[order])
    n_keep = min(int(np.searchsorted(cumulative, p - _TOP_P_TOL)) + 1, z.size)
    out = np.full_like(z, -np.inf)
    keep = order[:n_keep]
    out[keep] = z[keep]
    return out


def softmax(logits) -> np.ndarray:
    """Numerically stable softmax of a logit vector.

    Inputs:
    - logits: (V,) array of floats (-inf allowed, giving probability 0).

    Returns:
    - probs: (V,) float64 array, nonnegative, summing to 1.
    """
    z = _as_logits(logits)
    e = np.exp(z - z.max())
    return e / e.sum()


def sample_from_logits(
    logits,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> int:
    """Draw one token id: temperature, then top-k, then top-p, then softmax and sample.

    Inputs:
    - logits: (V,) array of floats (-inf allowed).
    - rng: numpy Generator (e.g. from course_lib.config.set_seed); the only source of randomness.
    - temperature: float >= 0; 0 means greedy decoding (the argmax, lowest index on ties; rng is
      not used).
    - top_k: None (no filter) or int >= 1.
    - top_p: None (no filter) or float in (0, 1].

    Returns:
    - token id: int in [0, V).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    z = _as_logits(logits)
    if not isinstance(temperature, int | float | np.number) or not temperature >= 0:
        raise ValueError(f"temperature must be a number >= 0, got {temperature!r}")
    if temperature == 0:
        # still validate the filters so that a bad argument never passes silently
        if top_k is not None:
            top_k_filter(z, top_k)
        if top_p is not None:
            top_p_filter(z, top_p)
        return int(np.argmax(z))
    z = apply_temperature(z, temperature)
    if top_k is not None:
        z = top_k_filter(z, top_k)
    if top_p is not None:
        z = top_p_filter(z, top_p)
    return int(rng.choice(z.size, p=softmax(z)))
