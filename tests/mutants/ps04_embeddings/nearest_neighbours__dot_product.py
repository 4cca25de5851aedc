# WRONG: ranks by the dot product of the raw vectors instead of the cosine: long vectors win.
# ruff: noqa: F821 (a notebook cell: np, Counter, sigmoid come from the set-up cell)
def nearest_neighbours(vectors, words, word, topn=10):
    X = np.asarray(vectors, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(words):
        raise ValueError("vectors must have one row per word")
    if not isinstance(topn, int) or topn < 1:
        raise ValueError("topn must be an int >= 1")
    if word not in words:
        raise ValueError(f"unknown word {word!r}")
    i = list(words).index(word)
    scores = X @ X[i]
    order = [j for j in np.argsort(-scores) if j != i]
    return [(words[j], float(scores[j])) for j in order[:topn]]
