# FORBIDDEN: correct, but borrows select_rows and normalised_score from course_lib.decoding.
# ruff: noqa: F821 (a notebook cell: torch, math come from the set-up cell)
from course_lib.decoding import normalised_score, select_rows


def beam_search(step_fn, start_state, bos_id, eos_id, beam_size, max_len, alpha=0.0):
    if beam_size < 1 or max_len < 1:
        raise ValueError("beam_size and max_len must be >= 1")
    live, live_scores = [[]], torch.zeros(1, dtype=torch.float64)
    last, state, finished = torch.tensor([bos_id]), start_state, []
    for t in range(1, max_len + 1):
        log_probs, state = step_fn(last, state)
        V = log_probs.shape[1]
        candidates = (live_scores[:, None] + log_probs.double()).flatten()
        top_scores, top_index = candidates.topk(min(beam_size, candidates.numel()))
        parents, tokens = top_index // V, top_index % V
        keep = []
        for k in range(len(top_index)):
            if int(tokens[k]) == eos_id:
                finished.append((live[int(parents[k])], float(top_scores[k]), t))
            else:
                keep.append(k)
        if not keep:
            break
        keep = torch.tensor(keep)
        live = [live[int(parents[k])] + [int(tokens[k])] for k in keep]
        live_scores, last = top_scores[keep], tokens[keep]
        state = select_rows(state, parents[keep])
    else:
        finished += [(tokens, float(score), max_len) for tokens, score in zip(live, live_scores)]
    scored = [(tokens, normalised_score(lp, length, alpha)) for tokens, lp, length in finished]
    return max(scored, key=lambda s: s[1])
