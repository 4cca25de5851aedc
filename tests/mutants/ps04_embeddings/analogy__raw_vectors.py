# WRONG: works with the raw vectors, b - a + c and dot products, instead of unit vectors and cosines.
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
    scores = X @ (X[index[b]] - X[index[a]] + X[index[c]])
    excluded = {index[a], index[b], index[c]}
    order = [i for i in np.argsort(-scores) if i not in excluded]
    return [(words[i], float(scores[i])) for i in order[:topn]]
