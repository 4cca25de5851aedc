# FORBIDDEN: correct, but only calls course_lib.ngram (imported at the top of the cell).
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
from course_lib.ngram import ngrams, pad


def padded_ngrams(tokens, n):
    return ngrams(pad(tokens, n), n)
