# WRONG: does not predict </s>, so N and the log-probability miss one token per sentence.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def perplexity(model_prob, sentences, order):
    if not isinstance(order, int) or order < 1 or len(sentences) == 0:
        raise ValueError("order must be an int >= 1 and sentences not empty")
    log_probs = []
    for sentence in sentences:
        padded = [BOS] * (order - 1) + list(sentence)
        for i in range(order - 1, len(padded)):
            p = model_prob(tuple(padded[i - order + 1 : i]), padded[i])
            log_probs.append(math.log(p) if p > 0 else -math.inf)
    return math.exp(-sum(log_probs) / len(log_probs))
