"""Many-to-one models: a recurrent encoder sums a sequence up in its final state, a linear layer
turns that state into class scores (name -> gender, "does the sequence hold token k?", ...).

For a batch of B right-padded sequences, sequence b having L_b real tokens:

    e_t = E[x_t]                                   embedding,              (B, T) -> (B, T, E)
    h_t = recurrent(e_t, h_{t-1}),  t = 1..L_b     the encoder reads only the real tokens
    s   = h_{L_b}                                  one direction:                     (B, H)
    s   = [h->_{L_b} ; h<-_1]                      bidirectional:                    (B, 2H)
    logits = s W^T + c                                                                (B, C)
    loss   = mean over the batch of -log softmax(logits)[y]                   (cross-entropy)

The forward direction's summary is its state after the LAST REAL token, not after the last
column (for a short sequence that column is padding); the backward direction starts at the last
real token and ends at the first, so its summary is its state there. Padding therefore never
changes a sequence's scores: a padded batch gives each sequence the logits it gets alone.

How each encoder is told the lengths:

- torch.nn.RNN / LSTM / GRU ("rnn", "lstm", "gru"): ``pack_padded_sequence``; their final
  state h_n is then taken at every sequence's own end, in both directions.
- the course's own layers, course_lib.torch_rnn.RNN and course_lib.torch_lstm_gru.LSTM / GRU
  ("scratch_rnn", "scratch_lstm", "scratch_gru"): their ``lengths`` argument does the same.

With several layers the summary comes from the last layer.

Pooling. ``pooling="last"`` (the default) is the final state above. The other choices summarise
the encoder's outputs o_1 .. o_{L_b} (B, T, H * dirs) over the real positions only:

    "mean"       s = (1 / L_b) sum_{t <= L_b} o_t
    "max"        s = max_{t <= L_b} o_t                 feature by feature
    "attention"  s = sum_{t <= L_b} alpha_t o_t         course_lib.attention.AttentionPooling

so padding never changes a sequence's scores with any pooling.

References: Schuster & Paliwal (1997), bidirectional RNNs; Graves & Schmidhuber (2005), BiLSTM
classifiers; the torch.nn.utils.rnn.pack_padded_sequence documentation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib.attention import AttentionPooling, lengths_to_mask
from course_lib.batching import batch_indices, pad_with_lengths
from course_lib.checks import check_positive_int
from course_lib.config import model_device
from course_lib.text import Vocab
from course_lib.torch_lstm_gru import make_layer
from course_lib.torch_rnn import RecurrentLayer

_ENCODER_TYPES = (nn.RNNBase, RecurrentLayer)
POOLINGS = ("last", "mean", "max", "attention")


def _check_encoder(rnn: nn.Module, embed_dim: int, hidden_size: int, bidirectional: bool) -> None:
    """A ready encoder must be a supported layer, batch-first, with the sizes the model expects."""
    if not isinstance(rnn, _ENCODER_TYPES):
        raise TypeError("cell must be a name in course_lib.torch_lstm_gru.LAYERS or a torch.nn.RNN/"
                        "LSTM/GRU, course_lib.torch_rnn.RNN or course_lib.torch_lstm_gru.LSTM/GRU "
                        "module, "
                        f"got {type(rnn).__name__}")
    if getattr(rnn, "proj_size", 0):
        raise ValueError("cell must have proj_size = 0")
    expected = {"batch_first": True, "input_size": embed_dim, "hidden_size": hidden_size,
                "bidirectional": bool(bidirectional)}
    for attr, value in expected.items():
        if getattr(rnn, attr) != value:
            raise ValueError(f"cell.{attr} must be {value!r} (from the classifier's arguments), "
                             f"got {getattr(rnn, attr)!r}")


class SequenceClassifier(nn.Module):
    """Embedding -> recurrent encoder -> final state(s) -> linear layer to class scores.

    Inputs (constructor):
    - vocab_size: V, number of token ids.
    - embed_dim: E.
    - hidden_size: H, the encoder's state size per direction.
    - n_classes: C >= 2.
    - cell: a name in course_lib.torch_lstm_gru.LAYERS ("rnn", "lstm", "gru": torch.nn's;
      "scratch_rnn", "scratch_lstm", "scratch_gru": the course's own layers), or a ready
      batch-first module of one of those classes with input_size E, hidden_size H and the given
      bidirectional flag (e.g. with several layers or a custom initialisation).
    - bidirectional: add a right-to-left direction; the summary then has 2H features.
    - pad_id: id whose embedding stays zero (``padding_idx``); None when every id is a real token.
    - pooling: how the encoder's states become one summary, one of POOLINGS (module docstring).
    - attention_dim: A, the size of u_t for pooling="attention"; None = H * directions.

    Attributes: ``embedding`` (V, E), ``rnn`` (the encoder), ``head`` (C, H * directions),
    ``pool`` (an AttentionPooling for pooling="attention", else None).
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, n_classes: int,
                 cell="rnn", bidirectional: bool = False, pad_id: int | None = Vocab.pad_id,
                 pooling: str = "last", attention_dim: int | None = None):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("embed_dim", embed_dim),
                            ("hidden_size", hidden_size), ("n_classes", n_classes)):
            check_positive_int(name, value)
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes}")
        if not isinstance(bidirectional, bool):
            raise TypeError(f"bidirectional must be a bool, got {type(bidirectional).__name__}")
        if pad_id is not None and (isinstance(pad_id, bool) or not isinstance(pad_id, int)
                                   or not 0 <= pad_id < vocab_size):
            raise ValueError(f"pad_id must be None or an int in [0, {vocab_size}), got {pad_id!r}")
        self.vocab_size, self.pad_id = vocab_size, pad_id
        self.num_directions = 2 if bidirectional else 1
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        if isinstance(cell, str):
            self.rnn = make_layer(cell, embed_dim, hidden_size, bidirectional=bidirectional)
        else:
            _check_encoder(cell, embed_dim, hidden_size, bidirectional)
            self.rnn = cell
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        self.pooling = pooling
        summary_size = hidden_size * self.num_directions
        if attention_dim is not None:
            check_positive_int("attention_dim", attention_dim)
        self.pool = (AttentionPooling(summary_size, attention_dim or summary_size)
                     if pooling == "attention" else None)
        self.head = nn.Linear(summary_size, n_classes)

    def _check_inputs(self, tokens, lengths) -> torch.Tensor | None:
        """Validate tokens (B, T) and lengths; return lengths as a (B,) int64 CPU tensor or None."""
        if not isinstance(tokens, torch.Tensor) or tokens.dtype != torch.long:
            raise TypeError(f"tokens must be an int64 torch tensor, got "
                            f"{getattr(tokens, 'dtype', type(tokens).__name__)}")
        if tokens.dim() != 2 or 0 in tokens.shape:
            raise ValueError(f"tokens must have shape (B, T) with B, T >= 1, "
                             f"got {tuple(tokens.shape)}")
        if tokens.min() < 0 or tokens.max() >= self.vocab_size:
            raise ValueError(f"tokens must lie in [0, {self.vocab_size})")
        if lengths is None:
            return None
        lengths = torch.as_tensor(lengths).cpu()
        B, T = tokens.shape
        if lengths.shape != (B,) or lengths.is_floating_point() or lengths.dtype == torch.bool:
            raise ValueError(f"lengths must hold B = {B} ints, got {lengths!r}")
        if lengths.min() < 1 or lengths.max() > T:
            raise ValueError(f"lengths must lie in [1, T = {T}], got {lengths.tolist()}")
        return lengths.long()

    def encode(self, tokens: torch.Tensor, lengths=None) -> torch.Tensor:
        """The summary of every sequence: its final state(s), both directions concatenated.

        Inputs:
        - tokens: (B, T) int64 ids, right-padded.
        - lengths: (B,) ints in [1, T], the real length of every row; None: no padding (all T).

        Returns:
        - summary: (B, H * directions): with pooling="last" the forward state after each
          sequence's last real token [and the backward state after its first token], else the
          pooled outputs (module docstring).
        """
        if self.pooling != "last":
            return self._pooled(tokens, lengths)[0]
        lengths = self._check_inputs(tokens, lengths)
        x = self.embedding(tokens)  # (B, T, E)
        if lengths is not None and isinstance(self.rnn, nn.RNNBase):
            x = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            _, state = self.rnn(x)
        else:
            _, state = self.rnn(x, lengths=lengths) if lengths is not None else self.rnn(x)
        h_n = state[0] if isinstance(state, tuple) else state  # (L * dirs, B, H), LSTM: (h, c)
        return self._last_layer(h_n)

    def states(self, tokens: torch.Tensor, lengths=None) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder's outputs at every position and the mask of the real ones.

        Inputs: tokens (B, T) int64, lengths (B,) or None, as for ``encode``.

        Returns:
        - outputs: (B, T, H * directions), the last layer's outputs (zeros at padding).
        - mask: (B, T) bool, True at real positions.
        """
        lengths = self._check_inputs(tokens, lengths)
        x = self.embedding(tokens)  # (B, T, E)
        B, T = tokens.shape
        if lengths is None:
            lengths = torch.full((B,), T)
        if isinstance(self.rnn, nn.RNNBase):
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True, total_length=T)
        else:
            out, _ = self.rnn(x, lengths=lengths)
        return out, lengths_to_mask(lengths, T).to(out.device)  # (B, T, H * dirs), (B, T)

    def _pooled(self, tokens: torch.Tensor, lengths) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(summary (B, H * dirs), attention weights (B, T) or None) for a pooling other
        than "last"."""
        out, mask = self.states(tokens, lengths)  # (B, T, D), (B, T)
        if self.pooling == "attention":
            return self.pool(out, mask)
        if self.pooling == "max":
            return out.masked_fill(~mask[:, :, None], float("-inf")).amax(dim=1), None
        real = mask[:, :, None].to(out.dtype)  # (B, T, 1)
        return (out * real).sum(dim=1) / real.sum(dim=1), None

    def attention_weights(self, tokens: torch.Tensor, lengths=None) -> torch.Tensor:
        """The pooling weights alpha (B, T) of a pooling="attention" model (0 at padding)."""
        if self.pooling != "attention":
            raise ValueError(f"attention_weights needs pooling='attention', "
                             f"this model has pooling={self.pooling!r}")
        return self._pooled(tokens, lengths)[1]

    def _last_layer(self, h_n: torch.Tensor) -> torch.Tensor:
        """Final states (L * dirs, B, H) -> (B, dirs * H): the last layer's directions."""
        return torch.cat(list(h_n[-self.num_directions:]), dim=1)

    def forward(self, tokens: torch.Tensor, lengths=None) -> torch.Tensor:
        """Class scores of every sequence.

        Inputs:
        - tokens: (B, T) int64 ids, right-padded.
        - lengths: (B,) ints in [1, T], or None when no row is padded.

        Returns:
        - logits: (B, C), unnormalised log-probabilities.
        """
        return self.head(self.encode(tokens, lengths))  # (B, C)


def _unpack_batch(batch):
    if not isinstance(batch, tuple | list) or len(batch) != 3:
        raise ValueError("batch must be a tuple (tokens (B, T), lengths (B,) or None, "
                         f"labels (B,)), got {type(batch).__name__} of length "
                         f"{len(batch) if hasattr(batch, '__len__') else '?'}")
    return batch


def classification_loss(model: nn.Module, batch) -> torch.Tensor:
    """Mean cross-entropy of one batch: the loss_fn for course_lib.training.train.

    Inputs:
    - model: maps (tokens (B, T), lengths (B,) or None) to logits (B, C).
    - batch: (tokens (B, T) int64, lengths (B,) or None, labels (B,) int64 in [0, C)).

    Returns:
    - loss: scalar tensor.
    """
    tokens, lengths, labels = _unpack_batch(batch)
    return nn.functional.cross_entropy(model(tokens, lengths), labels)


@torch.no_grad()
def accuracy(model: nn.Module, batches) -> float:
    """Share of sequences whose highest score is their label, in eval mode (no dropout).

    Inputs:
    - model: maps (tokens (B, T), lengths (B,) or None) to logits (B, C).
    - batches: iterable of (tokens, lengths or None, labels) batches, as from
      make_classification_batches.

    Returns:
    - accuracy: float in [0, 1]. The model's training mode is restored afterwards.
    """
    device = model_device(model)
    was_training = model.training
    model.eval()
    correct, total = 0, 0
    for batch in batches:
        tokens, lengths, labels = _unpack_batch(batch)
        logits = model(tokens.to(device), lengths)  # (B, C)
        correct += int((logits.argmax(dim=1).cpu() == labels.cpu()).sum())
        total += len(labels)
    model.train(was_training)
    if total == 0:
        raise ValueError("batches must hold at least one sequence")
    return correct / total


def make_classification_batches(
    sequences: Sequence[Sequence[int]], labels: Sequence[int], batch_size: int,
    rng: np.random.Generator | None = None, pad_id: int = Vocab.pad_id,
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Cut labelled id sequences into right-padded batches (shuffled when rng is given).

    Inputs:
    - sequences: S sequences of token ids (e.g. Vocab.encode of a name's characters), each of
      length >= 1.
    - labels: S class indices (ints >= 0).
    - batch_size: sequences per batch (the last batch may be smaller).
    - rng: numpy Generator; when given the order is a fresh permutation, else the input order.
    - pad_id: filler id.

    Returns:
    - list of ceil(S / batch_size) tuples (tokens (B, T_batch) int64, lengths (B,) int64,
      labels (B,) int64), T_batch the longest length in the batch.
    """
    if isinstance(sequences, str) or len(sequences) == 0:
        raise ValueError("sequences must be a non-empty list of id lists")
    if any(isinstance(s, str) for s in sequences):
        raise TypeError("sequences must be id lists (use Vocab.encode), got strings")
    if len(labels) != len(sequences):
        raise ValueError(f"labels must hold one label per sequence ({len(sequences)}), "
                         f"got {len(labels)}")
    if any(len(s) == 0 for s in sequences):
        raise ValueError("sequences must all have length >= 1")
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError(f"labels must be ints >= 0, got dtype {labels.dtype}")
    labels = labels.astype(np.int64)
    batches = []
    for chunk in batch_indices(len(sequences), batch_size, rng):
        tokens, lengths = pad_with_lengths([sequences[i] for i in chunk], pad_id)  # (B, T), (B,)
        batches.append((tokens, lengths, torch.from_numpy(labels[chunk])))
    return batches
