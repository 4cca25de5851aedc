# WRONG: merges with str.replace on the space-joined symbols, so "xa b" becomes "xab" for the pair (a, b).
# ruff: noqa: F821 (a notebook cell: np, Counter, word_to_symbols come from the set-up cell)
def bpe_merge_step(vocab):
    pairs = Counter()
    for symbols, count in vocab.items():
        for pair in zip(symbols, symbols[1:]):
            pairs[pair] += count
    if not pairs:
        raise ValueError("nothing to merge")
    best = max(pairs, key=lambda pair: (pairs[pair], pair))
    new_vocab = {}
    for symbols, count in vocab.items():
        joined = " ".join(symbols).replace(" ".join(best), "".join(best))
        new_vocab[tuple(joined.split(" "))] = count
    return best, new_vocab
