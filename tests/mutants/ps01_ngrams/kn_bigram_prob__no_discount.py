# WRONG: adds the continuation mass but forgets to discount the seen count (sums to more than 1).
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def kn_bigram_prob(bigram_counts, prev, word, discount=0.75):
    if not bigram_counts or not 0 <= discount <= 1:
        raise ValueError("bigram_counts must not be empty and discount must lie in [0, 1]")
    seen = [pair for pair, count in bigram_counts.items() if count > 0]
    p_cont = sum(1 for _, w in seen if w == word) / len(seen)
    c_prev = sum(count for (v, _), count in bigram_counts.items() if v == prev)
    if c_prev == 0:
        return p_cont
    n_followers = sum(1 for v, _ in seen if v == prev)
    return bigram_counts.get((prev, word), 0) / c_prev + discount * n_followers / c_prev * p_cont
