# WRONG: pads with n start symbols instead of n - 1 (one n-gram too many, contexts shifted).
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def padded_ngrams(tokens, n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    padded = [BOS] * n + list(tokens) + [EOS]
    return [tuple(padded[i : i + n]) for i in range(len(padded) - n + 1)]
