# WRONG: Counter.most_common breaks ties by first appearance, not by the larger pair.
# ruff: noqa: F821 (a notebook cell: np, Counter, word_to_symbols come from the set-up cell)
def bpe_merge_step(vocab):
    pairs = Counter()
    for symbols, count in vocab.items():
        for pair in zip(symbols, symbols[1:]):
            pairs[pair] += count
    if not pairs:
        raise ValueError("nothing to merge")
    best = pairs.most_common(1)[0][0]
    new_vocab = {}
    for symbols, count in vocab.items():
        merged, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                merged.append(symbols[i] + symbols[i + 1])
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        new_vocab[tuple(merged)] = count
    return best, new_vocab
