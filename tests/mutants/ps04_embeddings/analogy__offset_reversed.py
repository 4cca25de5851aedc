# WRONG: reads a : b :: c : ? as the offset a - b + c instead of b - a + c.
# ruff: noqa: F821 (a notebook cell: np, Counter, sigmoid come from the set-up cell)
def analogy(vectors, words, a, b, c, topn=1):
    X = np.asarray(vectors, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(words):
        raise ValueError("vectors must have one row per word")
    if not isinstance(topn, int) or topn < 1:
        raise ValueError("topn must be an int >= 1")
    index = {w: i for i, w in enumerate(words)}
    for query in (a, b, c):
        if query not in index:
            raise ValueError(f"unknown word {query!r}")
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    target = unit[index[a]] - unit[index[b]] + unit[index[c]]
    cosines = unit @ (target / np.linalg.norm(target))
    excluded = {index[a], index[b], index[c]}
    order = [i for i in np.argsort(-cosines) if i not in excluded]
    return [(words[i], float(cosines[i])) for i in order[:topn]]
