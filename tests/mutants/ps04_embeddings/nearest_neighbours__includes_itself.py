# WRONG: does not leave the query word out, so it comes first with cosine 1.
# ruff: noqa: F821 (a notebook cell: np, Counter, sigmoid come from the set-up cell)
def nearest_neighbours(vectors, words, word, topn=10):
    X = np.asarray(vectors, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(words):
        raise ValueError("vectors must have one row per word")
    if not isinstance(topn, int) or topn < 1:
        raise ValueError("topn must be an int >= 1")
    if word not in words:
        raise ValueError(f"unknown word {word!r}")
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    cosines = unit @ unit[list(words).index(word)]
    return [(words[i], float(cosines[i])) for i in np.argsort(-cosines)[:topn]]
