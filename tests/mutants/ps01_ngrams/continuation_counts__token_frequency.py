# WRONG: counts how often each word follows something, not its distinct left neighbours.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def continuation_counts(sentences):
    counts = Counter()
    for sentence in sentences:
        if isinstance(sentence, str):
            raise TypeError("each sentence must be a list of tokens")
        counts.update(list(sentence) + [EOS])
    return counts
