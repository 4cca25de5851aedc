# FORBIDDEN: correct, but a helper normalises continuation counts with sampling.softmax.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
from course_lib.sampling import softmax


def _continuation_distribution(bigram_counts):
    words = sorted({w for (_, w), count in bigram_counts.items() if count > 0})
    lefts = [sum(1 for (_, w), c in bigram_counts.items() if w == x and c > 0) for x in words]
    return dict(zip(words, softmax(np.log(np.array(lefts, dtype=float))), strict=True))


def kn_bigram_prob(bigram_counts, prev, word, discount=0.75):
    if not bigram_counts or not 0 <= discount <= 1:
        raise ValueError("bigram_counts must not be empty and discount must lie in [0, 1]")
    p_cont = _continuation_distribution(bigram_counts).get(word, 0.0)
    c_prev = sum(count for (v, _), count in bigram_counts.items() if v == prev)
    if c_prev == 0:
        return p_cont
    n_followers = sum(1 for (v, _), count in bigram_counts.items() if v == prev and count > 0)
    discounted = max(bigram_counts.get((prev, word), 0) - discount, 0) / c_prev
    return discounted + discount * n_followers / c_prev * p_cont
