# FORBIDDEN: correct, but counts with course_lib.bpe.count_pairs (after its own input checks).
# ruff: noqa: F821 (a notebook cell: np, Counter, word_to_symbols come from the set-up cell)
from course_lib import bpe


def count_pairs(vocab):
    if not isinstance(vocab, dict):
        raise TypeError("vocab must be a dict")
    for symbols, count in vocab.items():
        if not isinstance(symbols, tuple) or not symbols or not all(
                isinstance(s, str) and s for s in symbols):
            raise ValueError("keys must be non-empty tuples of str")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError("counts must be ints >= 1")
    return bpe.count_pairs(vocab)
