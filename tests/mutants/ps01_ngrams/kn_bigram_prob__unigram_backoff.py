# WRONG: interpolates with the unigram frequency of w instead of its continuation probability.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def kn_bigram_prob(bigram_counts, prev, word, discount=0.75):
    if not bigram_counts or not 0 <= discount <= 1:
        raise ValueError("bigram_counts must not be empty and discount must lie in [0, 1]")
    total = sum(bigram_counts.values())
    p_unigram = sum(count for (_, w), count in bigram_counts.items() if w == word) / total
    c_prev = sum(count for (v, _), count in bigram_counts.items() if v == prev)
    if c_prev == 0:
        return p_unigram
    n_followers = sum(1 for (v, _), count in bigram_counts.items() if v == prev and count > 0)
    discounted = max(bigram_counts.get((prev, word), 0) - discount, 0) / c_prev
    return discounted + discount * n_followers / c_prev * p_unigram
