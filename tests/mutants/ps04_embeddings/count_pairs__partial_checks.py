# WRONG: right counts, but only rejects negative counts: a str key, an empty tuple, a zero or float count pass.
# ruff: noqa: F821 (a notebook cell: np, Counter, word_to_symbols come from the set-up cell)
def count_pairs(vocab):
    pairs = Counter()
    for symbols, count in vocab.items():
        if count < 0:
            raise ValueError("counts must not be negative")
        for pair in zip(symbols, symbols[1:]):
            pairs[pair] += count
    return pairs
