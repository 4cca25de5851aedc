"""Hierarchical attention network (Yang et al. 2016): words -> sentences -> document.

A document is a list of sentences, a sentence a list of words. The same recipe runs twice:

    word level      h_it = BiGRU(E[w_it])_t            states of sentence i,   (N, W, 2Hw)
                    s_i  = AttentionPooling_w(h_i.)    one vector a sentence,  (B, S, 2Hw)
    sentence level  h_i  = BiGRU(s_1 .. s_S)_i                                 (B, S, 2Hs)
                    v    = AttentionPooling_s(h_.)     one vector a document,  (B, 2Hs)
    logits = v W^T + c                                                         (B, C)

with u_it = tanh(W_w h_it + b_w), alpha_it = softmax_t(u_it^T u_w) inside each pooling
(course_lib.attention.AttentionPooling). Padded words and padded sentences get zero weight, so
padding never changes a document's scores.

Reference: Z. Yang, D. Yang, C. Dyer, X. He, A. Smola, E. Hovy, "Hierarchical attention networks
for document classification", NAACL 2016.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib.attention import AttentionPooling, lengths_to_mask
from course_lib.checks import check_positive_int
from course_lib.text import Vocab


def _bigru_states(rnn: nn.GRU, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Outputs (N, T, 2H) of a batch-first bidirectional GRU over x (N, T, D), zero at padding."""
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, _ = pad_packed_sequence(rnn(packed)[0], batch_first=True, total_length=x.shape[1])
    return out


class HierarchicalAttention(NamedTuple):
    """What the network attended to: word weights (B, S, W), sentence weights (B, S)."""

    words: torch.Tensor
    sentences: torch.Tensor


class HierarchicalAttentionClassifier(nn.Module):
    """Embedding -> word BiGRU -> word attention -> sentence BiGRU -> sentence attention -> linear.

    Inputs (constructor):
    - vocab_size V, embed_dim E, word_hidden Hw, sentence_hidden Hs, n_classes C >= 2.
    - pad_id: id whose embedding stays zero.
    Attention sizes are 2Hw (words) and 2Hs (sentences), as in the paper.
    """

    def __init__(self, vocab_size: int, embed_dim: int, word_hidden: int, sentence_hidden: int,
                 n_classes: int, pad_id: int | None = Vocab.pad_id):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("embed_dim", embed_dim),
                            ("word_hidden", word_hidden), ("sentence_hidden", sentence_hidden),
                            ("n_classes", n_classes)):
            check_positive_int(name, value)
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes}")
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.word_rnn = nn.GRU(embed_dim, word_hidden, batch_first=True, bidirectional=True)
        self.word_pool = AttentionPooling(2 * word_hidden, 2 * word_hidden)
        self.sentence_rnn = nn.GRU(2 * word_hidden, sentence_hidden, batch_first=True,
                                   bidirectional=True)
        self.sentence_pool = AttentionPooling(2 * sentence_hidden, 2 * sentence_hidden)
        self.head = nn.Linear(2 * sentence_hidden, n_classes)

    def _check(self, tokens, word_lengths, sentence_lengths):
        if not isinstance(tokens, torch.Tensor) or tokens.dtype != torch.long or tokens.dim() != 3:
            raise ValueError(f"tokens must be an int64 tensor of shape (B, S, W), got "
                             f"{getattr(tokens, 'dtype', type(tokens).__name__)} "
                             f"{tuple(getattr(tokens, 'shape', ()))}")
        if tokens.min() < 0 or tokens.max() >= self.vocab_size:
            raise ValueError(f"tokens must lie in [0, {self.vocab_size})")
        B, S, W = tokens.shape
        word_lengths = torch.as_tensor(word_lengths).cpu()
        sentence_lengths = torch.as_tensor(sentence_lengths).cpu()
        if sentence_lengths.shape != (B,) or sentence_lengths.min() < 1 \
                or sentence_lengths.max() > S:
            raise ValueError(f"sentence_lengths must hold B = {B} ints in [1, S = {S}], "
                             f"got {sentence_lengths.tolist()}")
        real = lengths_to_mask(sentence_lengths, S)  # (B, S)
        if word_lengths.shape != (B, S) or word_lengths.max() > W \
                or bool((word_lengths[real] < 1).any()) or bool((word_lengths[~real] != 0).any()):
            raise ValueError(f"word_lengths must have shape (B, S) = ({B}, {S}), ints in [1, W = "
                             f"{W}] for real sentences and 0 for padded ones")
        return word_lengths, sentence_lengths, real

    def attend(self, tokens: torch.Tensor, word_lengths, sentence_lengths):
        """Document vectors and the attention weights at both levels.

        Inputs:
        - tokens: (B, S, W) int64 word ids, sentences and words right-padded.
        - word_lengths: (B, S) ints, the words in each sentence (0 for a padded sentence).
        - sentence_lengths: (B,) ints in [1, S], the sentences in each document.

        Returns:
        - documents: (B, 2Hs).
        - HierarchicalAttention(words (B, S, W), sentences (B, S)), 0 at padding.
        """
        word_lengths, sentence_lengths, real = self._check(tokens, word_lengths,
                                                           sentence_lengths)
        B, S, W = tokens.shape
        flat_real = real.reshape(-1).to(tokens.device)  # (B * S,)
        words = tokens.reshape(B * S, W)[flat_real]  # (N, W): the real sentences only
        lengths = word_lengths.reshape(-1)[real.reshape(-1)]  # (N,)
        states = _bigru_states(self.word_rnn, self.embedding(words), lengths)  # (N, W, 2Hw)
        pooled, word_weights = self.word_pool(states, lengths_to_mask(lengths, W).to(
            states.device))  # (N, 2Hw), (N, W)
        sentences = pooled.new_zeros(B * S, pooled.shape[1])
        sentences[flat_real] = pooled
        all_word_weights = word_weights.new_zeros(B * S, W)
        all_word_weights[flat_real] = word_weights
        sent_states = _bigru_states(self.sentence_rnn, sentences.view(B, S, -1),
                                    sentence_lengths)  # (B, S, 2Hs)
        documents, sentence_weights = self.sentence_pool(sent_states, real.to(tokens.device))
        return documents, HierarchicalAttention(all_word_weights.view(B, S, W), sentence_weights)

    def forward(self, tokens: torch.Tensor, word_lengths, sentence_lengths) -> torch.Tensor:
        """Class scores (B, C) of every document; arguments as for ``attend``."""
        return self.head(self.attend(tokens, word_lengths, sentence_lengths)[0])


def make_document_batch(documents, pad_id: int = Vocab.pad_id):
    """Pad a list of documents (lists of sentences, lists of ids) into HAN inputs.

    Inputs:
    - documents: B documents, each a non-empty list of non-empty id lists.
    - pad_id: filler id.

    Returns:
    - tokens (B, S, W) int64, word_lengths (B, S) int64, sentence_lengths (B,) int64, with S
      the most sentences and W the longest sentence in the batch.
    """
    if not documents or any(not doc or any(not s for s in doc) for doc in documents):
        raise ValueError("documents must be a non-empty list of non-empty lists of non-empty "
                         "id lists")
    S = max(len(doc) for doc in documents)
    W = max(len(s) for doc in documents for s in doc)
    tokens = torch.full((len(documents), S, W), pad_id, dtype=torch.long)
    word_lengths = torch.zeros(len(documents), S, dtype=torch.long)
    for b, doc in enumerate(documents):
        for i, sentence in enumerate(doc):
            tokens[b, i, :len(sentence)] = torch.tensor(sentence)
            word_lengths[b, i] = len(sentence)
    return tokens, word_lengths, torch.tensor([len(doc) for doc in documents])
