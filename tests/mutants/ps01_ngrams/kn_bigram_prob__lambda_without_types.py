# WRONG: lambda(v) = d / c(v), forgetting the factor N1+(v .) of discounted word types.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def kn_bigram_prob(bigram_counts, prev, word, discount=0.75):
    if not bigram_counts or not 0 <= discount <= 1:
        raise ValueError("bigram_counts must not be empty and discount must lie in [0, 1]")
    seen = [pair for pair, count in bigram_counts.items() if count > 0]
    p_cont = sum(1 for _, w in seen if w == word) / len(seen)
    c_prev = sum(count for (v, _), count in bigram_counts.items() if v == prev)
    if c_prev == 0:
        return p_cont
    discounted = max(bigram_counts.get((prev, word), 0) - discount, 0) / c_prev
    return discounted + discount / c_prev * p_cont
