# WRONG: zeroes the tokens outside the top k but does not renormalise the rest.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def top_k_temperature_probs(logits, temperature, k):
    z = np.asarray(logits, dtype=float)
    if z.ndim != 1 or z.size == 0 or not temperature > 0 or not 1 <= k <= z.size:
        raise ValueError("bad logits, temperature or k")
    e = np.exp(z / temperature - np.max(z / temperature))
    probs = e / e.sum()
    probs[np.argsort(z)[:-k]] = 0.0
    return probs
