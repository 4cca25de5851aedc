"""The neural language model interface of the course: one class, three helpers, every part reuses.

A recurrent language model reads tokens w_1..w_{t} and outputs a distribution over the next one:

    e_t = E[w_t]                          embedding lookup,            (B, T) -> (B, T, E)
    h_t = recurrent(e_t, h_{t-1})         RNN / LSTM / GRU,                      (B, T, H)
    p(w_{t+1} | w_1..w_t) = softmax(h_t W^T + c)                                 (B, T, V)

Sentences are framed as in course_lib.batching.lm_pairs: inputs ``<s> w_1 .. w_n``, targets
``w_1 .. w_n </s>``, right-padded with ``<pad>`` (id 0). Padding targets are ignored by the loss,
so the training loss is the mean negative log-likelihood (NLL) per real target token, ``</s>``
included, and

    perplexity = exp( sum of NLL over all target tokens / number of target tokens ),

the same convention as the n-gram models of part 1, so the numbers compare directly.

Generation starts from ``<s>`` and samples one token at a time for n sequences at once
(course_lib.decoding.sample_decode with temperature, top-k, nucleus/top-p) until ``</s>``.

References: Mikolov et al. (2010), "Recurrent neural network based language model"; Bengio et al.
(2003), "A neural probabilistic language model" (the embedding + softmax set-up).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch
from torch import nn

from course_lib.batching import batch_indices, bucket_indices, lm_batch
from course_lib.checks import check_positive_int
from course_lib.config import model_device
from course_lib.decoding import sample_decode
from course_lib.text import Vocab
from course_lib.torch_lstm_gru import LAYERS, make_layer


class RecurrentLM(nn.Module):
    """Embedding -> recurrent layer -> linear layer to vocabulary scores.

    Inputs (constructor):
    - vocab_size: V.
    - embed_dim: E.
    - hidden_size: H, the recurrent layer's output size.
    - cell: a name in course_lib.torch_lstm_gru.LAYERS ("rnn", "lstm", "gru": torch.nn's;
      "scratch_rnn", "scratch_lstm", "scratch_gru": the course's own layers), or a
      ready nn.Module with the nn.RNN call signature (batch-first, output size H).
    - num_layers: stacked recurrent layers (ignored when cell is a module).
    - dropout: applied to the embeddings, between recurrent layers and before the output layer.
    - pad_id: id of <pad>; its embedding stays zero.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, cell="rnn",
                 num_layers: int = 1, dropout: float = 0.0, pad_id: int = Vocab.pad_id):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("embed_dim", embed_dim),
                            ("hidden_size", hidden_size), ("num_layers", num_layers)):
            check_positive_int(name, value)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
        if isinstance(cell, nn.Module):
            self.rnn = cell
        elif cell in LAYERS:
            self.rnn = make_layer(cell, embed_dim, hidden_size, num_layers, dropout)
        else:
            raise ValueError(f"cell must be one of {sorted(LAYERS)} or an nn.Module, got {cell!r}")
        self.vocab_size, self.pad_id = vocab_size, pad_id
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward_state(self, tokens: torch.Tensor, state=None):
        """Scores for the next token at every position, and the recurrent state after the last.

        Inputs:
        - tokens: (B, T) int64 ids in [0, V).
        - state: the recurrent layer's state from a previous call (None: zeros).

        Returns a tuple of:
        - logits: (B, T, V), unnormalised log-probabilities.
        - state: the recurrent layer's final state (a tensor, or (h, c) for an LSTM).
        """
        if not isinstance(tokens, torch.Tensor) or tokens.dtype != torch.long:
            raise TypeError(f"tokens must be an int64 torch tensor, got "
                            f"{getattr(tokens, 'dtype', type(tokens).__name__)}")
        if tokens.dim() != 2 or tokens.shape[1] == 0:
            raise ValueError(f"tokens must have shape (B, T) with T >= 1, "
                             f"got {tuple(tokens.shape)}")
        if tokens.min() < 0 or tokens.max() >= self.vocab_size:
            raise ValueError(f"tokens must lie in [0, {self.vocab_size})")
        emb = self.drop(self.embedding(tokens))  # (B, T, E)
        out, state = self.rnn(emb, state)  # (B, T, H)
        return self.head(self.drop(out)), state  # (B, T, V)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, T) int64 -> logits (B, T, V) (see forward_state)."""
        return self.forward_state(tokens)[0]


# ----------------------------------------------------------------------------- batching, loss
def make_lm_batches(sentences_ids: Sequence[Sequence[int]], batch_size: int,
                    shuffle: bool = False, rng: np.random.Generator | None = None,
                    pad_id: int = Vocab.pad_id,
                    by_length: bool = False) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Cut id-encoded sentences into padded (inputs, targets) batches for next-token training.

    Every sentence [w1..wn] becomes inputs [<s>, w1..wn] and targets [w1..wn, </s>]
    (course_lib.batching.lm_batch); each batch is right-padded with pad_id to its longest sentence.

    Inputs:
    - sentences_ids: S sentences, each a sequence of ids WITHOUT <s> and </s>.
    - batch_size: sentences per batch (the last batch may be smaller).
    - shuffle: shuffle the sentences first (needs rng).
    - rng: numpy Generator used for shuffling.
    - pad_id: filler id.
    - by_length: bucket the sentences by length (course_lib.batching.bucket_indices): each batch
      holds sentences of about one length, so little time goes to padding; without shuffle the
      batches come in increasing length.

    Returns:
    - list of ceil(S / batch_size) tuples (inputs, targets), each two int64 tensors (B, T_batch).
    """
    if len(sentences_ids) == 0:
        raise ValueError("sentences_ids must hold at least one sentence")
    if isinstance(sentences_ids[0], str):
        raise TypeError("sentences_ids must be id lists (use Vocab.encode), got strings")
    if shuffle and not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy Generator when shuffle=True")
    rng = rng if shuffle else None
    if by_length:
        chunks = bucket_indices([len(s) for s in sentences_ids], batch_size, rng)
    else:
        chunks = batch_indices(len(sentences_ids), batch_size, rng)
    return [lm_batch([sentences_ids[i] for i in chunk], pad_id) for chunk in chunks]


def lm_loss(model: nn.Module, batch, pad_id: int = Vocab.pad_id) -> torch.Tensor:
    """Mean NLL per non-pad target token of one (inputs, targets) batch: the training loss.

    Inputs:
    - model: maps tokens (B, T) to logits (B, T, V).
    - batch: (inputs, targets), two int64 tensors (B, T).
    - pad_id: targets equal to it are ignored.

    Returns:
    - loss: scalar tensor.
    """
    inputs, targets = batch
    logits = model(inputs)  # (B, T, V)
    return nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=pad_id)


def _is_batch(item) -> bool:
    return isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], torch.Tensor)


@torch.no_grad()
def perplexity(model: nn.Module, data, pad_id: int = Vocab.pad_id, batch_size: int = 64) -> float:
    """exp(mean NLL per target token), </s> included and padding excluded.

    Inputs:
    - model: maps tokens (B, T) to logits (B, T, V).
    - data: either (inputs, targets) batches as from make_lm_batches, or sentences as id lists
      (without <s>/</s>; batched here with batch_size).
    - pad_id: targets equal to it are ignored.
    - batch_size: used only when data are sentences.

    Returns:
    - perplexity: float >= 1.
    """
    data = list(data)
    if not data:
        raise ValueError("data must hold at least one batch or sentence")
    batches = data if _is_batch(data[0]) else make_lm_batches(data, batch_size, pad_id=pad_id)
    device = model_device(model)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for inputs, targets in batches:
        inputs, targets = inputs.to(device), targets.to(device)
        logits = model(inputs)  # (B, T, V)
        total += nn.functional.cross_entropy(logits.flatten(0, 1).double(), targets.flatten(),
                                             ignore_index=pad_id, reduction="sum").item()
        count += int((targets != pad_id).sum())
    model.train(was_training)
    if count == 0:
        raise ValueError("data must contain at least one non-pad target")
    return float(np.exp(total / count))


# ----------------------------------------------------------------------------- generation
def generate(model: RecurrentLM, vocab: Vocab, rng: np.random.Generator | int = 0,
             max_len: int = 50, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, prefix: Sequence[str] = ()) -> list[str]:
    """Sample one sequence from <s> until </s> (or max_len new tokens): generate_many with n=1.

    Inputs: the arguments of generate_many, without n. Returns: tokens, prefix + generated
    tokens, without <s> and </s>.
    """
    return generate_many(model, vocab, 1, rng, max_len, temperature, top_k, top_p, prefix)[0]


@torch.no_grad()
def generate_many(model: RecurrentLM, vocab: Vocab, n: int, rng: np.random.Generator | int = 0,
                  max_len: int = 50, temperature: float = 1.0, top_k: int | None = None,
                  top_p: float | None = None, prefix: Sequence[str] = ()) -> list[list[str]]:
    """Sample n sequences at once, token by token, with course_lib.decoding.sample_decode.

    <pad> and <s> are never sampled. Each step feeds only the n new tokens and the carried state.

    Inputs:
    - model: a RecurrentLM (anything with forward_state(tokens (n, T), state)).
    - vocab: the Vocab the model was trained with.
    - n: int >= 1, how many sequences.
    - rng: numpy Generator or int seed (same seed, same text).
    - max_len: maximum number of generated tokens (not counting the prefix).
    - temperature, top_k, top_p: as in course_lib.sampling.sample_rows.
    - prefix: tokens to start from (after <s>), e.g. list("ma") for names starting with "ma".

    Returns:
    - n token lists: prefix + generated tokens, without <s> and </s>.
    """
    if isinstance(rng, int) and not isinstance(rng, bool):
        rng = np.random.default_rng(rng)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator or an int seed, got {type(rng).__name__}")
    check_positive_int("n", n)
    check_positive_int("max_len", max_len)
    if isinstance(prefix, str):
        raise TypeError("prefix must be a list of tokens, got a str (tokenize it first)")
    device = model_device(model)
    was_training = model.training
    model.eval()
    fed = [vocab.bos_id] + vocab.encode(list(prefix))  # <s> and the prefix
    state = None
    if len(fed) > 1:  # read all but the last token; the search starts from the last one
        _, state = model.forward_state(torch.tensor([fed[:-1]] * n, device=device))

    def step(tokens: torch.Tensor, state):
        logits, state = model.forward_state(tokens.to(device)[:, None], state)  # (n, 1, V)
        scores = logits[:, -1].double()  # (n, V)
        scores[:, [vocab.pad_id, vocab.bos_id]] = -torch.inf
        return torch.log_softmax(scores, dim=1), state

    hyps = sample_decode(step, state, n, fed[-1], vocab.eos_id, max_len, rng, temperature,
                         top_k, top_p)
    model.train(was_training)
    return [list(prefix) + [vocab.itos[i] for i in h.tokens] for h in hyps]


# ----------------------------------------------------------------------------- one LM interface
class TokenLM:
    """A trained neural LM behind the token-list interface of course_lib.ngram.NGramLM.

    makemore's lesson: every language model, count-based or neural, answers the same questions
    about text, so perplexity tables and samplers treat them alike. NGramLM and TokenLM both have
    ``perplexity(sentences)``, ``token_logprobs(sentences)`` and
    ``generate(seed=None, rng=None, max_len, temperature, top_k, top_p, prefix)`` and
    ``generate_many(n, ...)`` (one sampler, course_lib.decoding.sample_decode) on lists of
    str tokens (unknown tokens count as ``<unk>``; ``</s>`` is predicted too).

    Inputs (constructor):
    - model: a RecurrentLM (anything with forward_state(tokens (1, T), state) and forward
      mapping tokens (B, T) to logits (B, T, V)).
    - vocab: the Vocab the model was trained with.
    - batch_size: sentences scored at a time.
    """

    def __init__(self, model: nn.Module, vocab: Vocab, batch_size: int = 64):
        if not isinstance(vocab, Vocab):
            raise TypeError(f"vocab must be a course_lib.text.Vocab, got {type(vocab).__name__}")
        check_positive_int("batch_size", batch_size)
        self.model, self.vocab, self.batch_size = model, vocab, batch_size

    def _encode(self, sentences) -> list[list[int]]:
        sentences = list(sentences)
        if not sentences:
            raise ValueError("sentences must hold at least one token list")
        if any(isinstance(s, str) for s in sentences):
            raise TypeError("sentences must be token lists, got a str (tokenize it first)")
        return [self.vocab.encode(s) for s in sentences]

    @torch.no_grad()
    def token_logprobs(self, sentences: Iterable[Sequence[str]]) -> np.ndarray:
        """ln P(w_t | w_<t) of every predicted token, sentence after sentence.

        Inputs:
        - sentences: iterable of token lists (at least one).

        Returns:
        - logprobs: (Q,) float64, Q = sum of (len(sentence) + 1) (``</s>`` is predicted too).
        """
        ids = self._encode(sentences)
        device = model_device(self.model)
        was_training = self.model.training
        self.model.eval()
        out = []
        for start in range(0, len(ids), self.batch_size):
            chunk = ids[start:start + self.batch_size]
            inputs, targets = lm_batch(chunk, self.vocab.pad_id)  # (B, T) each
            logits = self.model(inputs.to(device)).double()  # (B, T, V)
            logp = torch.log_softmax(logits, dim=-1).gather(
                2, targets.to(device)[:, :, None])[:, :, 0]  # (B, T)
            for row, sentence in zip(logp.cpu().numpy(), chunk, strict=True):
                out.append(row[: len(sentence) + 1])
        self.model.train(was_training)
        return np.concatenate(out)

    def perplexity(self, sentences: Iterable[Sequence[str]]) -> float:
        """exp of the mean negative log-probability of every predicted token (``</s>`` included).

        Inputs: sentences, an iterable of token lists. Returns: perplexity, a float >= 1.
        """
        return float(np.exp(-np.mean(self.token_logprobs(sentences))))

    def generate(self, seed: int | None = None, rng: np.random.Generator | None = None,
                 max_len: int = 50, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, prefix: Sequence[str] = ()) -> list[str]:
        """Sample one sentence (the arguments of NGramLM.generate; see generate above).

        Returns: tokens, a list of str without ``<s>`` and ``</s>``.
        """
        if seed is not None and rng is not None:
            raise ValueError("give at most one of seed and rng, got both")
        return self.generate_many(1, seed, rng, max_len, temperature, top_k, top_p, prefix)[0]

    def generate_many(self, n: int, seed: int | None = None,
                      rng: np.random.Generator | None = None, max_len: int = 50,
                      temperature: float = 1.0, top_k: int | None = None,
                      top_p: float | None = None, prefix: Sequence[str] = ()
                      ) -> list[list[str]]:
        """Sample n sentences at once (the arguments of NGramLM.generate_many).

        Returns: n token lists, each without ``<s>`` and ``</s>``.
        """
        if seed is not None and rng is not None:
            raise ValueError("give at most one of seed and rng, got both")
        return generate_many(self.model, self.vocab, n, np.random.default_rng(seed) if rng is None
                             else rng, max_len, temperature, top_k, top_p, prefix)
