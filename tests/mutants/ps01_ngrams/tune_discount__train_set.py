# WRONG: measures the perplexity of each d on the training sentences instead of the validation ones.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, UNK, math, Counter come from the set-up cell)
def tune_discount(train, valid, order, grid):
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError("order must be an int >= 1")
    if len(grid) == 0 or not all(0 < d < 1 for d in grid) or len(train) == 0 or len(valid) == 0:
        raise ValueError("grid, train and valid must not be empty; every d in (0, 1)")

    def ngrams_of(sentences, pads):
        grams = []
        for sentence in sentences:
            if isinstance(sentence, str):
                raise TypeError("a sentence must be a list of tokens")
            padded = [BOS] * pads + list(sentence) + [EOS]
            grams += [tuple(padded[i - order + 1 : i + 1]) for i in range(order - 1, len(padded))]
        return grams

    def kn_model(sentences, d):
        counts = Counter(ngrams_of(sentences, order - 1))
        levels = {order: {}}
        for gram, count in counts.items():
            levels[order].setdefault(gram[:-1], Counter())[gram[-1]] += count
        for j in range(1, order):
            levels[j] = {}
            for tail in {gram[-(j + 1) :] for gram in counts}:
                levels[j].setdefault(tail[1:-1], Counter())[tail[-1]] += 1
        vocab_size = len({gram[-1] for gram in counts}) + 1

        def prob(gram):
            p = 1 / vocab_size
            for j in range(1, order + 1):
                following = levels[j].get(gram[order - j : -1])
                if following:
                    total = sum(following.values())
                    p = (max(following[gram[-1]] - d, 0) + d * len(following) * p) / total
            return p

        return prob

    grams = ngrams_of(train, order - 1)
    perplexities = []
    for d in grid:
        prob = kn_model(train, d)
        perplexities.append(math.exp(-sum(math.log(prob(g)) for g in grams) / len(grams)))
    return grid[perplexities.index(min(perplexities))], perplexities
