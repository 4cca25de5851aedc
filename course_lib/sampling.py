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

Every function takes one logit vector (V,) or a batch of N rows (N, V) and treats rows
independently: ``sample_rows`` draws one id per row with one vectorised step, which is how
course_lib.decoding.sample_decode samples N sequences of a torch model at once, and
``sample_from_logits`` is the one-row case that NGramLM.generate uses.

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
    """Validated float64 copy of logits of shape (V,) or (N, V), V >= 1, a finite entry per row."""
    try:
        z = np.array(logits, dtype=np.float64)
    except (TypeError, ValueError) as err:
        kind = type(logits).__name__
        raise TypeError(f"logits must be an array of numbers of shape (V,) or (N, V), got "
                        f"{kind}") from err
    if z.ndim not in (1, 2) or z.size == 0:
        raise ValueError(f"logits must be a non-empty array of shape (V,) or (N, V), got shape "
                         f"{z.shape}")
    if np.isnan(z).any() or np.isposinf(z).any():
        raise ValueError("logits must not contain NaN or +inf")
    if not np.isfinite(z).any(axis=-1).all():
        raise ValueError("logits must have at least one finite entry in every row (a row is all "
                         "-inf)")
    return z


def _check_temperature(temperature, allow_zero: bool) -> None:
    ok = isinstance(temperature, int | float | np.number) and not isinstance(temperature, bool)
    if not ok or not (temperature >= 0 if allow_zero else temperature > 0):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"temperature must be a number {bound}, got {temperature!r}")


def _check_k(k) -> None:
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")


def _check_p(p) -> None:
    if not isinstance(p, int | float | np.number) or isinstance(p, bool) or not 0 < p <= 1:
        raise ValueError(f"p must be a number with 0 < p <= 1, got {p!r}")


def _keep_ranks(z: np.ndarray, order: np.ndarray, n_keep) -> np.ndarray:
    """z with the entries ranked n_keep or lower (rank 0 = first in ``order``) set to -inf."""
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(z.shape[-1]), axis=-1)
    return np.where(rank < np.expand_dims(n_keep, -1), z, -np.inf)


def apply_temperature(logits, temperature: float) -> np.ndarray:
    """Divide the logits by a temperature.

    Inputs:
    - logits: (V,) or (N, V) array of floats (-inf allowed); every function of this module
      treats an (N, V) array as N independent rows.
    - temperature: float > 0.

    Returns:
    - scaled: float64 array of the same shape, logits / temperature.
    """
    z = _as_logits(logits)
    _check_temperature(temperature, allow_zero=False)
    return z / float(temperature)


def top_k_filter(logits, k: int) -> np.ndarray:
    """Keep the k largest logits (of every row) and set every other entry to -inf.

    Ties are broken by position (the lower index wins), so exactly min(k, V) entries are kept.

    Inputs:
    - logits: (V,) or (N, V) array of floats (-inf allowed).
    - k: int >= 1; k >= V keeps everything.

    Returns:
    - filtered: float64 array of the same shape.
    """
    z = _as_logits(logits)
    _check_k(k)
    order = np.argsort(-z, axis=-1, kind="stable")  # largest first
    return _keep_ranks(z, order, min(int(k), z.shape[-1]))


def top_p_filter(logits, p: float) -> np.ndarray:
    """Nucleus filter: keep the smallest set of most probable entries whose probability >= p.

    Inputs:
    - logits: (V,) or (N, V) array of floats (-inf allowed).
    - p: float with 0 < p <= 1; p = 1 keeps every entry of nonzero probability.

    Returns:
    - filtered: float64 array of the same shape, the kept logits unchanged and the others -inf.
    """
    z = _as_logits(logits)
    _check_p(p)
    order = np.argsort(-z, axis=-1, kind="stable")  # most probable first
    cumulative = np.cumsum(np.take_along_axis(softmax(z), order, axis=-1), axis=-1)
    # how many cumulative sums fall short of p, plus the one that reaches it
    n_keep = np.minimum((cumulative < p - _TOP_P_TOL).sum(axis=-1) + 1, z.shape[-1])
    return _keep_ranks(z, order, n_keep)


def softmax(logits) -> np.ndarray:
    """Numerically stable softmax of logits (of every row).

    Inputs:
    - logits: (V,) or (N, V) array of floats (-inf allowed, giving probability 0).

    Returns:
    - probs: float64 array of the same shape, nonnegative, each row summing to 1.
    """
    z = _as_logits(logits)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sample_rows(
    logits,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> np.ndarray:
    """Draw one token id per row: temperature, then top-k, then top-p, then softmax and sample.

    The draw inverts the cumulative distribution: with u ~ U[0, 1) the id is the first i with
    p_0 + ... + p_i > u. Row n uses the n-th of N uniforms drawn at once, exactly the number
    that ``rng.choice(V, p=probs[n])`` would use, so a single row gives the same id as
    numpy's own sampler.

    Inputs:
    - logits: (N, V) array of floats (-inf allowed), e.g. a batch of log-probabilities.
    - rng: numpy Generator (e.g. from course_lib.config.set_seed); the only source of randomness.
    - temperature: float >= 0; 0 means greedy decoding (the argmax of every row, lowest index on
      ties; rng is not used).
    - top_k: None (no filter) or int >= 1.
    - top_p: None (no filter) or float in (0, 1].

    Returns:
    - ids: (N,) int64 array, row n's token id in [0, V).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    z = _as_logits(logits)
    if z.ndim != 2:
        raise ValueError(f"logits must have shape (N, V), got shape {z.shape}")
    _check_temperature(temperature, allow_zero=True)
    if top_k is not None:
        _check_k(top_k)  # checked even when greedy, so that a bad argument never passes
    if top_p is not None:
        _check_p(top_p)
    if temperature == 0:
        return np.argmax(z, axis=1)
    z = apply_temperature(z, temperature)
    if top_k is not None:
        z = top_k_filter(z, top_k)
    if top_p is not None:
        z = top_p_filter(z, top_p)
    cdf = np.cumsum(softmax(z), axis=1)  # (N, V)
    cdf /= cdf[:, -1:]
    u = rng.random(z.shape[0])  # (N,)
    return np.minimum((cdf <= u[:, None]).sum(axis=1), z.shape[1] - 1)


def sample_from_logits(
    logits,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> int:
    """Draw one token id from a single logit vector (V,): sample_rows on one row.

    Inputs: logits (V,) and the other arguments of sample_rows. Returns: token id, int in [0, V).
    """
    z = _as_logits(logits)
    if z.ndim != 1:
        raise ValueError(f"logits must have shape (V,), got shape {z.shape}")
    return int(sample_rows(z[None], rng, temperature, top_k, top_p)[0])
