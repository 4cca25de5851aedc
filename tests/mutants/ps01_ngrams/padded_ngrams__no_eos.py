# WRONG: forgets the end symbol, so the model never learns to stop.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def padded_ngrams(tokens, n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    padded = [BOS] * (n - 1) + list(tokens)
    return [tuple(padded[i : i + n]) for i in range(len(padded) - n + 1)]
