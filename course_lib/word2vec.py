"""word2vec: skip-gram and CBOW with negative sampling (SGNS), a numpy reference and a fast trainer.

Every word w has two vectors: an *input* vector v_w (row w of W_in, the embedding we keep) and an
*output* vector u_w (row w of W_out). Around each position t of the text, the *center word* c
and its context words o_1..o_m (those within the window) are used in one of two ways:

- skip-gram predicts each word of the context from the center word: P(o | c);
- CBOW (continuous bag of words) predicts the center from the average context
  h = (v_{o_1} + .. + v_{o_m}) / m: P(c | context).

A full softmax P(o | c) = exp(u_o . v_c) / sum_w exp(u_w . v_c) costs O(V) per pair. Negative
sampling instead trains a logistic classifier "real pair or noise?": with K noise words n_k drawn
from the unigram distribution raised to 3/4, the loss of an input vector h and a target word c is

    L = -log s(u_c . h) - sum_k log s(-u_{n_k} . h),          s(x) = 1 / (1 + exp(-x)),

with the gradients (write g_0 = s(u_c . h) - 1 and g_k = s(u_{n_k} . h))

    dL/dh = g_0 u_c + sum_k g_k u_{n_k},   dL/du_c = g_0 h,   dL/du_{n_k} = g_k h.

As in word2vec.c, skip-gram is computed with the roles of the pair swapped (the input is a context
word's v_o, the target is the center word c): the set of (center, context) pairs of a window is
symmetric, so this is the same objective, and one center word then needs one set of targets.

One update = one center word (``sgns_loss``, the numpy reference):

- skip-gram: rows H = [v_{o_1}; ..; v_{o_m}] (m, D), targets U = [u_c; u_{n_1}; ..; u_{n_K}]
  (1+K, D), scores S = H U^T (m, 1+K), loss sum_j [-log s(S_j0) - sum_k log s(-S_jk)];
  with G = s(S) - Y (Y_j0 = 1, else 0): dH = G U and dU = G^T H.
- CBOW: H = h (1, D), the same formulas; dv_{o_j} = dH / m.

Two departures from word2vec.c make the trainer fast (``train_word2vec``, torch): the K noise words
are drawn once per center word and shared by its m context words (each pair still has K
negatives), and a batch of center words is updated at once, every gradient taken at the same
parameters (``sgns_update``). Like word2vec.c (and gensim's cbow_mean=1), CBOW adds the whole dL/dh
to every context vector instead of dL/dh / m; a noise word equal to the target is skipped.

The rest follows word2vec.c: a word of relative frequency f is kept with probability
min(1, (sqrt(f / sample) + 1) sample / f) (frequent-word subsampling, redrawn every epoch); the
window is dynamic (each center uses a window r drawn uniformly from 1..window, so near words count
more); the learning rate decays linearly from ``alpha`` to ``min_alpha``; W_in starts uniform in
[-0.5/D, 0.5/D) and W_out at zero.

References:
- T. Mikolov, K. Chen, G. Corrado, J. Dean (2013), "Efficient Estimation of Word Representations
  in Vector Space"; T. Mikolov et al. (2013), "Distributed Representations of Words and Phrases
  and their Compositionality" (negative sampling, subsampling); word2vec.c.
- Y. Goldberg, O. Levy (2014), "word2vec Explained" (the SGNS gradient).
- R. Rehurek, gensim's word2vec (the reference of tests/test_word2vec.py and the benchmark).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from course_lib.checks import check_float_array
from course_lib.config import get_device
from course_lib.text import Vocab
from course_lib.word_vectors import WordVectors

# --------------------------------------------------------------------------------------------
# Corpus statistics: vocabulary, subsampling, noise distribution, dynamic windows
# --------------------------------------------------------------------------------------------


def build_vocab(sentences: Sequence[Sequence[str]], min_count: int = 5) -> Vocab:
    """The word2vec vocabulary: words seen at least ``min_count`` times, most frequent first.

    It is a course_lib.text.Vocab: ids 0..3 are the special tokens (never trained: their count is
    zero), words follow by decreasing count. Words below ``min_count`` are dropped from the text
    before windows are formed (as in word2vec.c), so a window reaches past them.
    """
    if len(sentences) == 0:
        raise ValueError("sentences must hold at least one sentence (the corpus is empty)")
    vocab = Vocab(sentences, min_freq=min_count)
    if len(vocab) == len(Vocab([])):
        raise ValueError(f"no word occurs min_count={min_count} times: the vocabulary is empty")
    return vocab


def word_counts(vocab: Vocab) -> np.ndarray:
    """(V,) int64 counts of the vocabulary's ids (0 for the special tokens)."""
    return np.array([vocab.counts.get(w, 0) if i >= 4 else 0 for i, w in enumerate(vocab.itos)],
                    dtype=np.int64)


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each occurrence of a word (word2vec.c's subsampling).

    Inputs:
    - counts: (V,) word counts.
    - sample: threshold t, e.g. 1e-3; 0 keeps every word.

    Returns:
    - keep: (V,) float64, min(1, (sqrt(f / t) + 1) t / f) with f = count / total; 1 for count 0.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample < 0:
        raise ValueError(f"sample must be >= 0, got {sample}")
    if sample == 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    with np.errstate(divide="ignore"):
        keep = (np.sqrt(counts / threshold) + 1) * threshold / counts
    return np.minimum(np.nan_to_num(keep, nan=1.0, posinf=1.0), 1.0)


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """(V,) probabilities P_n(w) = count(w)^power / sum_w' count(w')^power."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    weights[np.asarray(counts) == 0] = 0.0
    if weights.sum() <= 0:
        raise ValueError("counts must hold at least one positive count")
    return weights / weights.sum()


def sample_noise(cumulative: np.ndarray, shape: tuple[int, ...], rng: np.random.Generator):
    """Draw word ids from a distribution given by its cumulative sums (last entry 1)."""
    ids = np.searchsorted(cumulative, rng.random(shape), side="right")
    return np.minimum(ids, len(cumulative) - 1)


def encode_corpus(sentences: Sequence[Sequence[str]], vocab: Vocab) -> tuple[np.ndarray, ...]:
    """The corpus as one flat id array without out-of-vocabulary words.

    Returns:
    - ids: (N,) int64 word ids; sentence: (N,) int64 index of the sentence of each word.
    """
    ids, sentence = [], []
    for s, words in enumerate(sentences):
        kept = [vocab.stoi[w] for w in words if w in vocab.stoi]
        ids.extend(kept)
        sentence.extend([s] * len(kept))
    return np.array(ids, dtype=np.int64), np.array(sentence, dtype=np.int64)


def make_windows(
    ids: np.ndarray,
    sentence: np.ndarray,
    keep: np.ndarray,
    window: int,
    rng: np.random.Generator,
    pad_id: int = Vocab.pad_id,
) -> tuple[np.ndarray, np.ndarray]:
    """One epoch of training examples: subsample, then a dynamic window around each center word.

    Inputs:
    - ids, sentence: (N,) from ``encode_corpus``.
    - keep: (V,) keep probabilities (``keep_probabilities``).
    - window: the largest window w; each center draws its own r uniformly from 1..w.
    - rng: numpy Generator (draws N uniforms for subsampling, then one int per kept word).

    Returns:
    - centers: (C,) int64 center word ids (centers without any context word are dropped).
    - contexts: (C, 2w) int64: the words at offsets -w..-1, 1..w that lie within r and within the
      same sentence, the others ``pad_id``.
    """
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be an int >= 1, got {window!r}")
    kept = rng.random(len(ids)) < keep[ids]
    ids, sentence = ids[kept], sentence[kept]
    n = len(ids)
    reach = window - rng.integers(0, window, size=n)  # (n,) in 1..window
    contexts = np.full((n, 2 * window), pad_id, dtype=np.int64)
    positions = np.arange(n)
    for d in range(1, window + 1):
        for column, other in ((window - d, positions - d), (window + d - 1, positions + d)):
            inside = (other >= 0) & (other < n)
            ok = np.zeros(n, dtype=bool)
            ok[inside] = (sentence[other[inside]] == sentence[inside]) & (d <= reach[inside])
            contexts[ok, column] = ids[other[ok]]
    has_context = (contexts != pad_id).any(axis=1)
    return ids[has_context], contexts[has_context]


# --------------------------------------------------------------------------------------------
# The numpy reference: loss and gradients of one center word, and one batched update
# --------------------------------------------------------------------------------------------


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log s(x) computed stably: -log(1 + exp(-x))."""
    return -np.logaddexp(0.0, -x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(log_sigmoid(x))


def sgns_loss(
    W_in: np.ndarray,
    W_out: np.ndarray,
    center: int,
    contexts: Sequence[int],
    negatives: Sequence[int],
    cbow: bool = False,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Negative-sampling loss of one center word and its exact gradients (module docstring).

    Inputs:
    - W_in: (V, D) input vectors; W_out: (V, D) output vectors.
    - center: id of the center word c (the target).
    - contexts: the m >= 1 ids of its context words o_1..o_m.
    - negatives: the K noise ids n_1..n_K (one that equals ``center`` is skipped).
    - cbow: False for skip-gram (one row per context word), True for CBOW (their mean).

    Returns:
    - loss: float, sum over the rows of -log s(S_j0) - sum_k log s(-S_jk).
    - dW_in: (V, D), dW_out: (V, D): gradients of the loss.
    """
    check_float_array("W_in", W_in, ndim=2)
    check_float_array("W_out", W_out, ndim=2)
    if W_in.shape != W_out.shape:
        raise ValueError(
            f"W_in and W_out must have the same shape, got {W_in.shape} and {W_out.shape}")
    contexts = np.asarray(contexts, dtype=np.int64)
    negatives = np.asarray(negatives, dtype=np.int64)
    if contexts.ndim != 1 or len(contexts) == 0:
        raise ValueError(f"contexts must be a non-empty list of ids, got {contexts.tolist()}")
    negatives = negatives[negatives != center]
    targets = np.concatenate([[center], negatives])  # (1+K,)
    H = W_in[contexts].mean(axis=0, keepdims=True) if cbow else W_in[contexts]  # (m or 1, D)
    U = W_out[targets]  # (1+K, D)
    S = H @ U.T  # (rows, 1+K)
    Y = np.zeros_like(S)
    Y[:, 0] = 1.0
    loss = -log_sigmoid(S[:, 0]).sum() - log_sigmoid(-S[:, 1:]).sum()
    G = sigmoid(S) - Y  # dL/dS
    dH, dU = G @ U, G.T @ H  # (rows, D), (1+K, D)
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    if cbow:
        np.add.at(dW_in, contexts, np.broadcast_to(dH / len(contexts), (len(contexts), H.shape[1])))
    else:
        np.add.at(dW_in, contexts, dH)
    np.add.at(dW_out, targets, dU)
    return float(loss), dW_in, dW_out


def sgns_update(
    W_in: np.ndarray,
    W_out: np.ndarray,
    centers: np.ndarray,
    contexts: np.ndarray,
    negatives: np.ndarray,
    lr: float,
    cbow: bool = False,
    pad_id: int = Vocab.pad_id,
) -> tuple[np.ndarray, np.ndarray, float]:
    """One SGD step on a batch of center words, all gradients taken at the current parameters.

    The step the trainer takes: W <- W - lr * sum over centers of their gradients, except that
    for CBOW each context vector receives m times its exact gradient (word2vec.c's update).

    Inputs:
    - W_in, W_out: (V, D).
    - centers: (C,) ids; contexts: (C, 2w) ids padded with ``pad_id``; negatives: (C, K) ids.
    - lr: learning rate.

    Returns:
    - W_in, W_out: the updated (new) arrays; loss: the summed loss of the batch.
    """
    W_in, W_out = W_in.copy(), W_out.copy()
    grad_in, grad_out, total = np.zeros_like(W_in), np.zeros_like(W_out), 0.0
    for c, row, neg in zip(centers, contexts, negatives, strict=True):
        ctx = row[row != pad_id]
        loss, d_in, d_out = sgns_loss(W_in, W_out, int(c), ctx, neg, cbow=cbow)
        grad_in += d_in * (len(ctx) if cbow else 1)
        grad_out += d_out
        total += loss
    return W_in - lr * grad_in, W_out - lr * grad_out, total


# --------------------------------------------------------------------------------------------
# The fast trainer (torch, batched)
# --------------------------------------------------------------------------------------------


def sgns_step(
    W_in: torch.Tensor,
    W_out: torch.Tensor,
    centers: torch.Tensor,
    contexts: torch.Tensor,
    negatives: torch.Tensor,
    lr: float,
    cbow: bool = False,
    pad_id: int = Vocab.pad_id,
) -> float:
    """``sgns_update`` in torch, in place and batched; returns the summed loss of the batch.

    Inputs (on W_in's device): W_in, W_out (V, D) float; centers (C,), contexts (C, 2w),
    negatives (C, K) int64.
    """
    C, K = negatives.shape
    mask = (contexts != pad_id).to(W_in.dtype)  # (C, 2w)
    targets = torch.cat([centers[:, None], negatives], dim=1)  # (C, 1+K)
    keep = torch.ones_like(targets, dtype=W_in.dtype)  # (C, 1+K): skip noise == center
    keep[:, 1:] = (negatives != centers[:, None]).to(W_in.dtype)
    U = W_out[targets]  # (C, 1+K, D)
    if cbow:
        m = mask.sum(dim=1, keepdim=True)  # (C, 1)
        H = (W_in[contexts] * mask[..., None]).sum(dim=1) / m  # (C, D)
        H = H[:, None, :]  # (C, 1, D)
        row_mask = torch.ones(C, 1, dtype=W_in.dtype, device=W_in.device)
    else:
        H = W_in[contexts]  # (C, 2w, D)
        row_mask = mask
    S = torch.bmm(H, U.transpose(1, 2))  # (C, rows, 1+K)
    sign = torch.full_like(keep, -1.0)
    sign[:, 0] = 1.0
    weight = row_mask[..., None] * keep[:, None, :]  # (C, rows, 1+K)
    loss = -(torch.nn.functional.logsigmoid(S * sign[:, None, :]) * weight).sum()
    G = (torch.sigmoid(S) - (sign[:, None, :] > 0).to(S.dtype)) * weight  # dL/dS
    dH = torch.bmm(G, U)  # (C, rows, D)
    dU = torch.bmm(G.transpose(1, 2), H)  # (C, 1+K, D)
    if cbow:  # word2vec.c: the whole dL/dh to every context word
        dH = dH.expand(-1, contexts.shape[1], -1) * mask[..., None]
    D = W_in.shape[1]
    W_in.index_add_(0, contexts.reshape(-1), dH.reshape(-1, D), alpha=-lr)
    W_out.index_add_(0, targets.reshape(-1), dU.reshape(-1, D), alpha=-lr)
    return float(loss)


@dataclass
class Word2Vec:
    """A trained model: the vocabulary, both weight matrices and the training record.

    - vocab: course_lib.text.Vocab (ids 0..3 special, untrained).
    - W_in, W_out: (V, D) float32 tensors; W_in rows are the word vectors.
    - losses: mean loss per positive pair of each logged stretch of batches.
    - words_per_second: raw corpus words (before subsampling) per second of training.
    """

    vocab: Vocab
    W_in: torch.Tensor
    W_out: torch.Tensor
    losses: list[float] = field(default_factory=list)
    words_per_second: float = 0.0

    def word_vectors(self) -> WordVectors:
        """The input vectors of the real words (specials left out), most frequent first."""
        return WordVectors(self.vocab.itos[4:], self.W_in[4:].detach().cpu().numpy().copy())


def train_word2vec(
    sentences: Sequence[Sequence[str]],
    dim: int = 100,
    window: int = 5,
    negative: int = 5,
    min_count: int = 5,
    sample: float = 1e-3,
    epochs: int = 5,
    sg: bool = True,
    alpha: float = 0.025,
    min_alpha: float = 1e-4,
    batch_size: int = 256,
    seed: int = 0,
    device=None,
    progress: bool = True,
    log_every: int = 50,
) -> Word2Vec:
    """Train skip-gram (``sg=True``) or CBOW with negative sampling; the same seed gives the
    same vectors (on one device and thread count).

    Inputs:
    - sentences: list of token lists (e.g. ``load_corpus("wiki").train``).
    - dim, window, negative, min_count, sample, epochs, alpha, min_alpha: as gensim's Word2Vec
      (vector_size, window, negative, min_count, sample, epochs, alpha, min_alpha).
    - batch_size: center words per update.
    - seed: seeds the initial vectors, subsampling, windows and noise words.
    - device: torch device; None picks CUDA when available (course_lib.config.get_device).
    - progress: show a tqdm bar over the batches; log_every: batches per entry of ``losses``.

    Returns:
    - Word2Vec with W_in, W_out on ``device``.
    """
    for name, value, low in (("dim", dim, 1), ("negative", negative, 1), ("epochs", epochs, 1),
                             ("batch_size", batch_size, 1), ("min_count", min_count, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    if not alpha > 0 or not 0 <= min_alpha <= alpha:
        raise ValueError(f"need alpha > 0 and 0 <= min_alpha <= alpha, got {alpha}, {min_alpha}")
    device = get_device() if device is None else torch.device(device)
    rng = np.random.default_rng(seed)
    vocab = build_vocab(sentences, min_count)
    counts = word_counts(vocab)
    keep = keep_probabilities(counts, sample)
    cumulative = np.cumsum(noise_distribution(counts))
    cumulative /= cumulative[-1]
    ids, sentence = encode_corpus(sentences, vocab)
    raw_words = sum(len(s) for s in sentences)

    V = len(vocab)
    W_in = torch.from_numpy(((rng.random((V, dim)) - 0.5) / dim).astype(np.float32)).to(device)
    W_in[:4] = 0.0
    W_out = torch.zeros(V, dim, device=device)
    model = Word2Vec(vocab, W_in, W_out)

    start, running, running_pairs = time.perf_counter(), 0.0, 0.0
    bar = tqdm(total=epochs, desc="word2vec " + ("skip-gram" if sg else "CBOW"),
               disable=not progress, unit="epoch")
    for epoch in range(epochs):
        centers, contexts = make_windows(ids, sentence, keep, window, rng)
        n = len(centers)
        for batch, first in enumerate(range(0, n, batch_size)):
            progress_fraction = (epoch + first / n) / epochs
            lr = max(alpha - (alpha - min_alpha) * progress_fraction, min_alpha)
            c = centers[first : first + batch_size]
            x = contexts[first : first + batch_size]
            neg = sample_noise(cumulative, (len(c), negative), rng)
            loss = sgns_step(W_in, W_out, torch.from_numpy(c).to(device),
                             torch.from_numpy(x).to(device), torch.from_numpy(neg).to(device),
                             lr, cbow=not sg)
            running += loss
            running_pairs += len(c) if not sg else int((x != Vocab.pad_id).sum())
            if (batch + 1) % log_every == 0:
                model.losses.append(running / running_pairs)
                running, running_pairs = 0.0, 0.0
        bar.update(1)
        if model.losses:
            bar.set_postfix(loss=f"{model.losses[-1]:.3f}")
    bar.close()
    model.words_per_second = raw_words * epochs / (time.perf_counter() - start)
    return model
