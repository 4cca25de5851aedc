# FORBIDDEN: correct, but pads with course_lib.ngram.pad through the course_lib package.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
import course_lib.ngram


def perplexity(model_prob, sentences, order):
    if len(sentences) == 0:
        raise ValueError("sentences must hold at least one sentence")
    total, n = 0.0, 0
    for sentence in sentences:
        padded = course_lib.ngram.pad(sentence, order)
        for i in range(order - 1, len(padded)):
            p = model_prob(tuple(padded[i - order + 1 : i]), padded[i])
            if p <= 0:
                return math.inf
            total += math.log(p)
            n += 1
    return math.exp(-total / n)
