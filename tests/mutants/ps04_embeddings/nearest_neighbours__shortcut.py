# FORBIDDEN: correct, but asks course_lib.word_vectors.WordVectors.nearest.
# ruff: noqa: F821 (a notebook cell: np, Counter, sigmoid come from the set-up cell)
from course_lib.word_vectors import WordVectors


def nearest_neighbours(vectors, words, word, topn=10):
    X = np.asarray(vectors, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(words):
        raise ValueError("vectors must have one row per word")
    if not isinstance(topn, int) or topn < 1:
        raise ValueError("topn must be an int >= 1")
    if word not in words:
        raise ValueError(f"unknown word {word!r}")
    return WordVectors(list(words), X).nearest(word, min(topn, len(words) - 1))
