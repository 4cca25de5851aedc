# FORBIDDEN: correct, but binds course_lib.ngram's functions as default arguments (no global name).
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
def padded_ngrams(tokens, n, _lib=__import__("importlib").import_module("course_lib.ngram")):
    return _lib.ngrams(_lib.pad(tokens, n), n)
