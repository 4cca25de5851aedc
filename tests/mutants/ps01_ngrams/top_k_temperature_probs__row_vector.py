# WRONG: returns a (1, V) row where the (V,) vector is asked (np.allclose would broadcast it).
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def top_k_temperature_probs(logits, temperature, k):
    z = np.asarray(logits, dtype=float)
    if z.ndim != 1 or z.size == 0:
        raise ValueError("logits must be a non-empty 1-D array")
    if not temperature > 0:
        raise ValueError("temperature must be > 0")
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or not 1 <= k <= z.size:
        raise ValueError("k must be an int in [1, V]")
    scaled = z / temperature
    keep = np.argsort(scaled)[-k:]
    weights = np.exp(scaled[keep] - scaled[keep].max())
    probs = np.zeros_like(scaled)
    probs[keep] = weights / weights.sum()
    return probs[None, :]
