# WRONG: divides by c(v) = 0 when the previous token was never seen (must back off to P_cont).
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def kn_bigram_prob(bigram_counts, prev, word, discount=0.75):
    if not bigram_counts:
        raise ValueError("bigram_counts must not be empty")
    if not 0 <= discount <= 1:
        raise ValueError(f"discount must lie in [0, 1], got {discount!r}")
    seen = [(v, w) for (v, w), count in bigram_counts.items() if count > 0]
    p_cont = sum(1 for _, w in seen if w == word) / len(seen)
    context_count = sum(count for (v, _), count in bigram_counts.items() if v == prev)
    n_followers = sum(1 for v, _ in seen if v == prev)
    discounted = max(bigram_counts.get((prev, word), 0) - discount, 0) / context_count
    return discounted + discount * n_followers / context_count * p_cont
