# WRONG: pads with a single <s> whatever the order, so trigram contexts at the start are too short.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def perplexity(model_prob, sentences, order):
    if not isinstance(order, int) or order < 1 or len(sentences) == 0:
        raise ValueError("order must be an int >= 1 and sentences not empty")
    total, n = 0.0, 0
    for sentence in sentences:
        padded = [BOS] + list(sentence) + [EOS]
        for i in range(1, len(padded)):
            p = model_prob(tuple(padded[max(i - order + 1, 0) : i]) if order > 1 else (), padded[i])
            if p <= 0:
                return math.inf
            total += math.log(p)
            n += 1
    return math.exp(-total / n)
