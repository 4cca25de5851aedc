# FORBIDDEN: correct, but asks gensim's KeyedVectors.most_similar(positive=[b, c], negative=[a]).
# ruff: noqa: F821 (a notebook cell: np, Counter, sigmoid come from the set-up cell)
from gensim.models import KeyedVectors


def analogy(vectors, words, a, b, c, topn=1):
    X = np.asarray(vectors, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(words):
        raise ValueError("vectors must have one row per word")
    if not isinstance(topn, int) or topn < 1:
        raise ValueError("topn must be an int >= 1")
    for query in (a, b, c):
        if query not in words:
            raise ValueError(f"unknown word {query!r}")
    keyed = KeyedVectors(X.shape[1], dtype=np.float64)
    keyed.add_vectors(list(words), X)
    return keyed.most_similar(positive=[b, c], negative=[a], topn=topn)
