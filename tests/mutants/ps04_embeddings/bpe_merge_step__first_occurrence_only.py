# WRONG: merges only the first occurrence of the pair in each word.
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
        symbols = list(symbols)
        for i in range(len(symbols) - 1):
            if (symbols[i], symbols[i + 1]) == best:
                symbols[i : i + 2] = [symbols[i] + symbols[i + 1]]
                break
        new_vocab[tuple(symbols)] = count
    return best, new_vocab
