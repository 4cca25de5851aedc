# WRONG: never validates k or vocab_size, and returns 0 where k = 0 and h is unseen.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def add_k_prob(counts, context, word, k, vocab_size):
    following = counts.get(tuple(context), Counter())
    denominator = sum(following.values()) + k * vocab_size
    return (following[word] + k) / denominator if denominator else 0.0
