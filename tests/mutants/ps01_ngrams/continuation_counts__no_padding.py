# WRONG: bigrams of the unpadded sentences: <s> is never a left neighbour, </s> is missing.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def continuation_counts(sentences):
    lefts = {}
    for sentence in sentences:
        if isinstance(sentence, str):
            raise TypeError("each sentence must be a list of tokens")
        for left, right in zip(sentence, sentence[1:], strict=False):
            lefts.setdefault(right, set()).add(left)
    return Counter({word: len(s) for word, s in lefts.items()})
