# WRONG: a hypothesis that emits </s> stays in the beam and keeps being extended (and scored);
# the best of the last beam is cut at its first </s>.
# ruff: noqa: F821 (a notebook cell: torch, math come from the set-up cell)
def beam_search(step_fn, start_state, bos_id, eos_id, beam_size, max_len, alpha=0.0):
    if beam_size < 1 or max_len < 1:
        raise ValueError("beam_size and max_len must be >= 1")
    beams = [[]]
    scores = torch.zeros(1, dtype=torch.float64)
    last, state = torch.tensor([bos_id]), start_state
    for _ in range(max_len):
        log_probs, state = step_fn(last, state)
        V = log_probs.shape[1]
        top_scores, top_index = (scores[:, None] + log_probs.double()).flatten().topk(
            min(beam_size, scores.numel() * V))
        parents, tokens = top_index // V, top_index % V
        beams = [beams[int(p)] + [int(t)] for p, t in zip(parents, tokens)]
        scores, state, last = top_scores, state[parents], tokens
    results = []
    for tokens, score in zip(beams, scores):
        length = tokens.index(eos_id) + 1 if eos_id in tokens else len(tokens)
        results.append((tokens[: length - 1] if eos_id in tokens else tokens,
                        float(score) / length**alpha))
    return max(results, key=lambda r: r[1])
