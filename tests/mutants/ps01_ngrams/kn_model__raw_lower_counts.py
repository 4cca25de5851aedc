# WRONG: every level uses raw counts c(h, w); the lower levels must use continuation counts.
# ruff: noqa: F821 (a notebook cell: BOS, EOS, UNK, math, Counter come from the set-up cell)
def kn_model(sentences, order, discount=0.75):
    if not isinstance(order, int) or isinstance(order, bool) or order < 1 or not 0 < discount < 1:
        raise ValueError("order must be an int >= 1 and discount in (0, 1)")
    if len(sentences) == 0:
        raise ValueError("no training sentences")
    counts = Counter()
    for sentence in sentences:
        if isinstance(sentence, str):
            raise TypeError("a sentence must be a list of tokens")
        padded = [BOS] * (order - 1) + list(sentence) + [EOS]
        for i in range(order - 1, len(padded)):
            counts[tuple(padded[i - order + 1 : i + 1])] += 1
    levels = {}
    for j in range(1, order + 1):
        table = {}
        for gram, count in counts.items():
            table.setdefault(gram[order - j : -1], Counter())[gram[-1]] += count
        levels[j] = table
    vocab_size = len({gram[-1] for gram in counts}) + 1

    def prob(context, word):
        context = tuple(context)
        if len(context) != order - 1:
            raise ValueError("context must hold order - 1 tokens")
        if word == BOS:
            return 0.0
        p = 1 / vocab_size
        for j in range(1, order + 1):
            following = levels[j].get(context[order - j :])
            if following:
                total = sum(following.values())
                p = (max(following[word] - discount, 0) + discount * len(following) * p) / total
        return p

    return prob
