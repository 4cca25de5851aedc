# FORBIDDEN: correct, but counts, picks and merges with course_lib.bpe.
# ruff: noqa: F821 (a notebook cell: np, Counter, word_to_symbols come from the set-up cell)
from course_lib.bpe import best_pair, count_pairs, merge_symbols


def bpe_merge_step(vocab):
    pairs = count_pairs(vocab)
    if not pairs:
        raise ValueError("nothing to merge")
    pair = best_pair(pairs)
    return pair, {merge_symbols(symbols, pair): count for symbols, count in vocab.items()}
