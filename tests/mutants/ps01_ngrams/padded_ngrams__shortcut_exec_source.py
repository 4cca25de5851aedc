# FORBIDDEN: correct, but runs the source file of course_lib.ngram in a private namespace.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, np, math, Counter come from the set-up cell)
import importlib.util
import pathlib

_folder = importlib.util.find_spec("course_lib").submodule_search_locations[0]
_private = {"__name__": "private_ngram"}
exec(compile(pathlib.Path(_folder, "ngram.py").read_text(), "private_ngram", "exec"), _private)


def padded_ngrams(tokens, n):
    return _private["ngrams"](_private["pad"](tokens, n), n)
