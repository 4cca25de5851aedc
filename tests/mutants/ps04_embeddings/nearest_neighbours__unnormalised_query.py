# WRONG: normalises the candidate rows but not the query vector: the right order, but every score is |v_word| cos.
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
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    scores = unit @ X[i]
    order = [j for j in np.argsort(-scores) if j != i]
    return [(words[j], float(scores[j])) for j in order[:topn]]
