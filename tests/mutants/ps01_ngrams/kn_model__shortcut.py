# FORBIDDEN: correct, but fits and queries course_lib.ngram.NGramLM.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, UNK, math, Counter come from the set-up cell)
from course_lib.ngram import NGramLM


def kn_model(sentences, order, discount=0.75):
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError("order must be an int >= 1")
    lm = NGramLM(order, "kneser_ney", discount=discount).fit(sentences)

    def prob(context, word):
        if len(tuple(context)) != order - 1:
            raise ValueError("context must hold order - 1 tokens")
        return lm.prob(word, tuple(context))

    return prob
