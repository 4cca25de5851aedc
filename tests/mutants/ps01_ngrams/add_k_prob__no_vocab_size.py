# WRONG: adds k to the denominator once instead of k * |V|, so probabilities sum to more than 1.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def add_k_prob(counts, context, word, k, vocab_size):
    if k < 0 or vocab_size < 1:
        raise ValueError("k must be >= 0 and vocab_size >= 1")
    following = counts.get(tuple(context), Counter())
    denominator = sum(following.values()) + k
    if denominator == 0:
        raise ValueError("unseen context with k = 0")
    return (following[word] + k) / denominator
