# FORBIDDEN: correct, but pads and cuts with course_lib.ngram, found at run time with importlib.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
import importlib


def continuation_counts(sentences):
    library = importlib.import_module("course_lib." + "ngram")
    lefts = {}
    for sentence in sentences:
        for left, right in library.ngrams(library.pad(sentence, 2), 2):
            lefts.setdefault(right, set()).add(left)
    return Counter({word: len(s) for word, s in lefts.items()})
