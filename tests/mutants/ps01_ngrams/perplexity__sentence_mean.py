# WRONG: averages the perplexities of the sentences instead of the log-probabilities of the tokens.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def perplexity(model_prob, sentences, order):
    if not isinstance(order, int) or order < 1 or len(sentences) == 0:
        raise ValueError("order must be an int >= 1 and sentences not empty")
    per_sentence = []
    for sentence in sentences:
        padded = [BOS] * (order - 1) + list(sentence) + [EOS]
        log_prob = 0.0
        for i in range(order - 1, len(padded)):
            p = model_prob(tuple(padded[i - order + 1 : i]), padded[i])
            if p <= 0:
                return math.inf
            log_prob += math.log(p)
        per_sentence.append(math.exp(-log_prob / (len(sentence) + 1)))
    return sum(per_sentence) / len(per_sentence)
