# FORBIDDEN: correct, but fits course_lib.ngram.NGramLM once per discount.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, UNK, math, Counter come from the set-up cell)
from course_lib.ngram import NGramLM


def tune_discount(train, valid, order, grid):
    if len(grid) == 0 or len(train) == 0 or len(valid) == 0:
        raise ValueError("grid, train and valid must not be empty")
    perplexities = [NGramLM(order, "kneser_ney", discount=d).fit(train).perplexity(valid)
                    for d in grid]
    return grid[perplexities.index(min(perplexities))], perplexities
