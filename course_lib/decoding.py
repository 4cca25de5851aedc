"""Greedy decoding, sampling and beam search for any left-to-right model, on batched log-probs.

A decoder defines p(y | x) = prod_t p(y_t | y_<t, x). Finding the best translation
argmax_y log p(y | x) exactly would mean scoring every sequence, |V|^T of them, so we search:

- greedy: at each step take the single most probable token, y_t = argmax_v log p(v | y_<t, x);
- sampling: draw y_t from p(. | y_<t, x), reshaped by temperature, top-k or top-p
  (course_lib.sampling); it explores instead of searching (text generation, diverse outputs);
- beam search with width K: keep the K best prefixes; at each step extend each of them by every
  token (K |V| candidates scored log p(y_<t) + log p(v | y_<t)), keep the best K again. A
  candidate ending in ``</s>`` is finished and set aside; the search of a sentence stops when K
  hypotheses are finished, or when no unfinished prefix can still beat the best finished one
  (early stop), or at ``max_len`` tokens.

Length normalisation. Every token adds a log-probability <= 0, so the raw score prefers short
outputs. Finished hypotheses are compared by

    score(y) = log p(y | x) / |y|^alpha       (|y| counts the final </s>; alpha = 0: raw score,
                                               alpha = 1: mean log-probability per token)

The model is seen through one function, so the same search serves every model of the course:

    step_fn(tokens, state) -> (log_probs, new_state)
    - tokens: (N,) int64, the last token of each of N prefixes;
    - state: a tensor, or a tuple/list/dict of tensors (or None), each with N rows (dim 0);
    - log_probs: (N, V) log p(v | prefix) (rows sum to 1 after exp).

Beam search reorders the state's rows (``index_select`` on dim 0) when prefixes are kept or
dropped, so encoder outputs can travel inside the state too.

References: Graves (2012) and Sutskever et al. (2014) for beam search in sequence models;
Wu et al. (2016, GNMT) for length normalisation; fairseq's SequenceGenerator for the
"2K candidates, at most K finished" bookkeeping.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

from course_lib.sampling import sample_rows

Tensor = torch.Tensor
StepFn = Callable[[Tensor, object], tuple[Tensor, object]]


class Hypothesis(NamedTuple):
    """One decoded sequence: tokens (without <s> and </s>), its log-probability and its score."""

    tokens: list[int]
    log_prob: float
    score: float


def select_rows(state, index: Tensor):
    """state with the rows ``index`` (1-D int64) of every tensor: a tensor, tuple, list, dict."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.index_select(0, index.to(state.device))
    if isinstance(state, dict):
        return {k: select_rows(v, index) for k, v in state.items()}
    if isinstance(state, tuple | list):
        return type(state)(select_rows(v, index) for v in state)
    raise TypeError(f"state must hold tensors (or tuples/lists/dicts of them), got "
                    f"{type(state).__name__}")


def normalised_score(log_prob: float, length: int, alpha: float) -> float:
    """log_prob / length^alpha (length >= 1 counts </s>); alpha = 0 gives log_prob itself."""
    return log_prob / (max(length, 1) ** alpha)


def _check_common(batch_size, bos_id, eos_id, max_len) -> None:
    for name, value in (("batch_size", batch_size), ("max_len", max_len)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    for name, value in (("bos_id", bos_id), ("eos_id", eos_id)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an int >= 0, got {value!r}")


def _check_log_probs(log_probs: Tensor, rows: int) -> None:
    if not isinstance(log_probs, Tensor) or log_probs.dim() != 2 or log_probs.shape[0] != rows:
        got = tuple(log_probs.shape) if isinstance(log_probs, Tensor) else type(log_probs)
        raise ValueError(f"step_fn must return log_probs of shape (N, V) with N = {rows}, "
                         f"got {got}")


@torch.no_grad()
def greedy_decode(step_fn: StepFn, state, batch_size: int, bos_id: int, eos_id: int,
                  max_len: int, alpha: float = 0.0) -> list[Hypothesis]:
    """The most probable token at every step, for a batch of B inputs at once.

    Inputs:
    - step_fn, state: the model (module docstring); state has B rows.
    - batch_size: B.
    - bos_id, eos_id: ids of <s> (the first input token) and </s> (ends a hypothesis).
    - max_len: stop after this many tokens (a hypothesis cut there has no </s>).
    - alpha: length-normalisation exponent used for the returned score.

    Returns:
    - B Hypothesis, in input order.
    """
    _check_common(batch_size, bos_id, eos_id, max_len)
    return _left_to_right(step_fn, state, batch_size, bos_id, eos_id, max_len, alpha,
                          lambda log_probs: log_probs.argmax(dim=1))


@torch.no_grad()
def sample_decode(step_fn: StepFn, state, batch_size: int, bos_id: int, eos_id: int,
                  max_len: int, rng: np.random.Generator, temperature: float = 1.0,
                  top_k: int | None = None, top_p: float | None = None,
                  alpha: float = 0.0) -> list[Hypothesis]:
    """Ancestral sampling, y_t ~ p(. | y_<t, x) reshaped by temperature/top-k/top-p, B at once.

    Each step draws one token for every row with course_lib.sampling.sample_rows (the same
    transforms as one-vector sampling, on the (B, V) log-probs). Repeating the rows of the
    state gives several samples of one input.

    Inputs:
    - step_fn, state: the model (module docstring); state has B rows. Sampling never reorders
      rows, so the state may be anything step_fn understands (an n-gram model keeps its token
      histories there).
    - batch_size: B.
    - bos_id, eos_id: ids of <s> (the first input token) and </s> (ends a hypothesis).
    - max_len: stop after this many tokens (a hypothesis cut there has no </s>).
    - rng: numpy Generator, the only source of randomness (same seed, same samples).
    - temperature, top_k, top_p: as in sample_rows (temperature 0 = greedy).
    - alpha: length-normalisation exponent used for the returned score.

    Returns:
    - B Hypothesis, in input order; log_prob is the model's own log p(y | x), before temperature
      and filters.
    """
    _check_common(batch_size, bos_id, eos_id, max_len)

    def draw(log_probs: Tensor) -> Tensor:
        ids = sample_rows(log_probs.detach().double().cpu().numpy(), rng, temperature, top_k,
                          top_p)
        return torch.from_numpy(ids).to(log_probs.device)

    return _left_to_right(step_fn, state, batch_size, bos_id, eos_id, max_len, alpha, draw)


def _left_to_right(step_fn: StepFn, state, batch_size: int, bos_id: int, eos_id: int,
                   max_len: int, alpha: float, choose: Callable[[Tensor], Tensor]
                   ) -> list[Hypothesis]:
    """One token per row and step, chosen by ``choose`` from (B, V) log-probs, until </s>."""
    tokens = torch.full((batch_size,), bos_id, dtype=torch.long)
    total = torch.zeros(batch_size, dtype=torch.float64)
    done = torch.zeros(batch_size, dtype=torch.bool)
    lengths = torch.zeros(batch_size, dtype=torch.long)
    outputs = []
    for _ in range(max_len):
        log_probs, state = step_fn(tokens, state)
        _check_log_probs(log_probs, batch_size)
        tokens = choose(log_probs)  # (B,)
        chosen = log_probs.gather(1, tokens[:, None])[:, 0]  # (B,)
        tokens, chosen = tokens.cpu(), chosen.cpu().double()
        total += torch.where(done, 0.0, chosen)
        lengths += (~done).long()
        outputs.append(torch.where(done, eos_id, tokens))
        done |= tokens == eos_id
        if done.all():
            break
    steps = torch.stack(outputs, dim=1).tolist()  # (B, T)
    hyps = []
    for b, row in enumerate(steps):
        ids = row[: row.index(eos_id)] if eos_id in row else row
        hyps.append(Hypothesis(ids, float(total[b]),
                               normalised_score(float(total[b]), int(lengths[b]), alpha)))
    return hyps


@torch.no_grad()
def beam_search(step_fn: StepFn, state, batch_size: int, bos_id: int, eos_id: int,
                max_len: int, beam_size: int = 5, alpha: float = 1.0,
                n_best: int = 1) -> list[list[Hypothesis]]:
    """Beam search with length normalisation and early stop, for B inputs at once.

    Inputs:
    - step_fn, state: the model (module docstring); state has B rows, one per input; it is
      repeated K times here (rows b K .. b K + K - 1 belong to input b).
    - batch_size: B.
    - bos_id, eos_id: ids of <s> and </s>.
    - max_len: at most this many tokens per hypothesis (including </s>); unfinished prefixes
      still alive at max_len are finished there without </s>.
    - beam_size: K >= 1 prefixes kept per input. K = 1 gives greedy decoding.
    - alpha: length-normalisation exponent (0: raw log-probability, 1: per-token mean).
    - n_best: how many finished hypotheses to return per input (<= beam_size).

    Returns:
    - B lists of n_best Hypothesis each (fewer if fewer exist), best first by score.
    """
    _check_common(batch_size, bos_id, eos_id, max_len)
    if isinstance(beam_size, bool) or not isinstance(beam_size, int) or beam_size < 1:
        raise ValueError(f"beam_size must be an int >= 1, got {beam_size!r}")
    if not isinstance(n_best, int) or not 1 <= n_best <= beam_size:
        raise ValueError(f"n_best must be an int in [1, beam_size = {beam_size}], got {n_best!r}")
    if not alpha >= 0:
        raise ValueError(f"alpha must be >= 0, got {alpha!r}")
    B, K = batch_size, beam_size
    state = select_rows(state, torch.arange(B).repeat_interleave(K))  # (B K, ...)
    scores = torch.full((B, K), -math.inf, dtype=torch.float64)
    scores[:, 0] = 0.0  # one live prefix (<s>) per input at the start
    prefixes = torch.full((B, K, 0), bos_id, dtype=torch.long)  # tokens so far, without <s>
    tokens = torch.full((B * K,), bos_id, dtype=torch.long)
    finished: list[list[Hypothesis]] = [[] for _ in range(B)]
    done = [False] * B
    for t in range(1, max_len + 1):
        log_probs, state = step_fn(tokens, state)
        _check_log_probs(log_probs, B * K)
        V = log_probs.shape[1]
        cand = scores[:, :, None] + log_probs.cpu().double().view(B, K, V)  # (B, K, V)
        cand[torch.tensor(done)] = -math.inf  # finished inputs propose nothing
        top_scores, top_index = cand.view(B, K * V).topk(min(2 * K, K * V), dim=1)  # (B, 2K)
        origin, token = top_index // V, top_index % V  # beam and token of every candidate
        is_eos = token == eos_id
        _collect_finished(finished, prefixes, top_scores, origin, is_eos, K, t, alpha)
        # the best K candidates that do not end in </s> continue
        alive_scores = top_scores.masked_fill(is_eos, -math.inf)
        scores, keep = alive_scores.topk(K, dim=1)  # (B, K)
        origin, token = origin.gather(1, keep), token.gather(1, keep)
        prefixes = torch.cat([prefixes.gather(1, origin[:, :, None].expand_as(prefixes)),
                              token[:, :, None]], dim=2)  # (B, K, t)
        rows = (torch.arange(B)[:, None] * K + origin).view(-1)  # (B K,) parent row of each
        state = select_rows(state, rows)
        tokens = token.view(-1)
        for b in range(B):
            done[b] = done[b] or _search_is_over(finished[b], scores[b], K, max_len, alpha)
        if all(done):
            break
    else:  # max_len reached: the live prefixes are finished as they are
        for b in range(B):
            if not done[b]:
                for k in range(K):
                    if scores[b, k] > -math.inf:
                        finished[b].append(Hypothesis(prefixes[b, k].tolist(),
                                                      float(scores[b, k]),
                                                      normalised_score(float(scores[b, k]),
                                                                       max_len, alpha)))
    return [sorted(f, key=lambda h: -h.score)[:n_best] for f in finished]


def _collect_finished(finished, prefixes, top_scores, origin, is_eos, K, t, alpha) -> None:
    """Set aside the candidates ending in </s> among each input's best K candidates."""
    rows, ranks = torch.nonzero(is_eos[:, :K], as_tuple=True)
    for b, r in zip(rows.tolist(), ranks.tolist(), strict=True):
        log_prob = float(top_scores[b, r])
        if log_prob == -math.inf or len(finished[b]) >= K:
            continue
        ids = prefixes[b, int(origin[b, r])].tolist()
        finished[b].append(Hypothesis(ids, log_prob, normalised_score(log_prob, t, alpha)))


def _search_is_over(finished: list[Hypothesis], alive: Tensor, K: int, max_len: int,
                    alpha: float) -> bool:
    """True when K hypotheses are finished or no live prefix can beat the best finished one.

    A live prefix with log-probability s < 0 can at best keep s and grow to max_len tokens, so
    its score is at most s / max_len^alpha (s itself when alpha = 0).
    """
    if len(finished) >= K:
        return True
    best_alive = float(alive.max())
    if best_alive == -math.inf:
        return True
    if not finished:
        return False
    bound = best_alive if alpha == 0 else best_alive / max_len**alpha
    return max(h.score for h in finished) >= bound
