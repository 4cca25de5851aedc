"""The embedding layer: a one-hot vector times a matrix is a row look-up.

A word with id i in a vocabulary of V words is the one-hot vector o_i in R^V (a 1 at position i,
zeros elsewhere). A linear layer with weight W (V, D) maps it to

    e_i = o_i^T W = W[i]          (the decks write E_word = W O_word with W of shape (D, V):
                                   the same thing with W transposed, a column instead of a row)

so multiplying by a one-hot vector just selects a row. ``torch.nn.Embedding`` stores W and does
the look-up directly: O(D) work instead of O(V D), and no V-sized vector is ever built. Its
gradient is sparse too: only the rows of the words in the batch change.

``init_from_vectors`` copies pretrained word vectors (e.g. course_lib.word2vec) into the
embedding layer of a model, the words of the model's vocabulary it can find.

References: Bengio et al. (2003), "A Neural Probabilistic Language Model" (the shared embedding
matrix); the PyTorch documentation of ``nn.Embedding``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from course_lib.text import Vocab
from course_lib.word_vectors import WordVectors


def one_hot(ids, vocab_size: int) -> np.ndarray:
    """One-hot rows: (N,) int ids in [0, V) -> (N, V) float64 with a single 1 per row."""
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer) or ids.ndim != 1:
        raise TypeError(f"ids must be a 1-D array of ints, got {ids.dtype} of shape {ids.shape}")
    if len(ids) and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids must lie in [0, {vocab_size}), got {ids.min()}..{ids.max()}")
    out = np.zeros((len(ids), vocab_size))
    out[np.arange(len(ids)), ids] = 1.0
    return out


def init_from_vectors(embedding: nn.Embedding, vocab: Vocab, vectors: WordVectors,
                      rescale: bool = True) -> int:
    """Copy pretrained vectors into the rows of ``embedding`` of the words both know.

    Inputs:
    - embedding: nn.Embedding with ``len(vocab)`` rows and the vectors' dimension D.
    - vocab: the model's vocabulary (row i is ``vocab.itos[i]``).
    - vectors: pretrained WordVectors of dimension D.
    - rescale: centre the copied vectors (subtract their mean vector, a direction all word2vec
      vectors share) and scale them to the standard deviation of the layer's current weights,
      so that the pretrained rows differ from a random initialisation only in their directions.

    Returns:
    - the number of rows copied; the other rows (specials, unknown words) keep their values.
    """
    if embedding.num_embeddings != len(vocab):
        raise ValueError(f"embedding has {embedding.num_embeddings} rows, vocab has {len(vocab)}")
    if embedding.embedding_dim != vectors.vectors.shape[1]:
        raise ValueError(f"embedding_dim {embedding.embedding_dim} != vector dimension "
                         f"{vectors.vectors.shape[1]}")
    rows = [i for i, w in enumerate(vocab.itos) if w in vectors]
    if rows:
        source = np.stack([vectors.vectors[vectors.index[vocab.itos[i]]] for i in rows])
        source = source.astype(np.float64)  # (R, D)
        if rescale and len(rows) > 1:
            source -= source.mean(axis=0)
            source *= float(embedding.weight.detach().std()) / source.std()
        with torch.no_grad():
            embedding.weight[rows] = torch.as_tensor(
                source, dtype=embedding.weight.dtype, device=embedding.weight.device)
    return len(rows)
