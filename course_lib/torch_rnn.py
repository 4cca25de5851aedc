"""The course's recurrent layers written from torch operations: the family, and its tanh RNN.

``RecurrentLayer`` holds what every recurrent layer of the course shares, with the call
signature, parameter names and shapes of torch.nn.RNN / LSTM / GRU (so state dicts load either
way and the tests can demand equal numbers): stacked layers, two directions, padded batches
(``lengths``) and PackedSequence inputs. A subclass only writes one direction's time loop:
``RNN`` here, ``LSTM`` and ``GRU`` in course_lib.torch_lstm_gru.

The tanh RNN, for layer l and direction d:

    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)          x_t: (B, D_l), h_t: (B, H)

- The input term does not depend on h, so it is computed for all T steps at once with one matrix
  product, (B, T, D_l) @ (D_l, H); only the small (B, H) @ (H, H) product is left in the time loop.
- Two biases b_ih + b_hh are one bias b of the course's formula: torch keeps both, so do we.
- Bidirectional: a second RNN with its own weights (suffix ``_reverse``) reads every sequence from
  its last real token down to the first; the outputs of both directions are concatenated,
  (B, T, 2H). Final states are taken at each sequence's last real step, so a padded batch gives
  what torch.nn.RNN gives on a ``pack_padded_sequence`` of it; padded outputs are zeros.
- Stacked layers: layer l+1 reads the outputs of layer l (so D_{l+1} = H * directions), with
  dropout on those outputs during training (never after the last layer), as in nn.RNN.
- residual=True uses the "unity feedback" step of the slides,

      h_t = h_{t-1} + tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),

  so dh_t/dh_{t-1} = I + (something): the gradient has an identity path back through time. The
  shortcut is in TIME (h_{t-1} to h_t, both of size H), so it puts no condition on input_size.
  (Beware: h is no longer bounded by tanh and can drift; this variant has no nn.RNN counterpart.)

References: Elman (1990); Schuster & Paliwal (1997) for bidirectional RNNs; the torch.nn.RNN
documentation for the parameter layout.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from course_lib.checks import check_positive_int

Tensor = torch.Tensor


def _reverse_index(lengths: Tensor | None, B: int, T: int, device) -> Tensor | None:
    """Indices that reverse each sequence within its length and leave the padding in place.

    Returns (B, T) int64, row b = [L_b - 1, ..., 0, L_b, ..., T - 1]; None without lengths.
    """
    if lengths is None:
        return None
    t = torch.arange(T, device=device).expand(B, T)  # (B, T)
    L = lengths.to(device)[:, None]  # (B, 1)
    return torch.where(t < L, L - 1 - t, t)


def _reverse(x: Tensor, index: Tensor | None) -> Tensor:
    """Reverse x (B, T, F) in time: all of it, or each row within its length (index from above)."""
    if index is None:
        return x.flip(1)
    return x.gather(1, index[:, :, None].expand_as(x))


def _pack_like(out: Tensor, packed: PackedSequence) -> PackedSequence:
    """Pack out (B, T, F), in the caller's batch order, with the layout of ``packed``."""
    if packed.sorted_indices is not None:
        out = out.index_select(0, packed.sorted_indices)  # longest first
    rows = [out[:n, t] for t, n in enumerate(packed.batch_sizes.tolist())]
    return PackedSequence(
        torch.cat(rows), packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices
    )


class RecurrentLayer(nn.Module):
    """What the RNN, the LSTM and the GRU share: parameters, layers, directions, padding, packing.

    Subclasses set ``gates`` (1, 4 or 3), ``state_size``, ``torch_class`` and implement
    ``_run_direction``; the LSTM also overrides the state's structure (a tuple (h, c)).
    """

    gates: int  # gate blocks per weight matrix
    state_size: int  # tensors in the state: 2 (h, c) for the LSTM, 1 for the GRU
    torch_class: type[nn.Module]

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = True,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ):
        super().__init__()
        check_positive_int("input_size", input_size)
        check_positive_int("hidden_size", hidden_size)
        check_positive_int("num_layers", num_layers)
        if not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        GH = self.gates * hidden_size
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * self.num_directions
            for suffix in self._suffixes(layer):
                shapes = {"weight_ih": (GH, layer_in), "weight_hh": (GH, hidden_size)}
                if self.bias:
                    shapes.update(bias_ih=(GH,), bias_hh=(GH,))
                for name, shape in shapes.items():
                    self.register_parameter(name + suffix, nn.Parameter(torch.empty(shape)))
                self._extra_parameters(suffix)
        self.reset_parameters()

    def _extra_parameters(self, suffix: str) -> None:
        """Hook for per-direction parameters beyond torch's four (the LSTM's peepholes)."""

    @staticmethod
    def _state_parts(state):
        """The initial state as a tuple of tensors (None: zeros); a single tensor h0 here."""
        return None if state is None else (state,)

    @staticmethod
    def _pack_state(finals):
        """The final state in the caller's structure, from the list of stacked tensors."""
        return finals[0]

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.num_directions]

    def reset_parameters(self) -> None:
        """Every parameter uniform in [-1/sqrt(H), 1/sqrt(H)], as torch.nn.RNN/LSTM/GRU do."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _direction_params(self, suffix: str) -> list[Tensor | None]:
        names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
        return [getattr(self, name + suffix, None) for name in names]

    @classmethod
    def from_torch(cls, module: nn.Module):
        """A layer of this class with the configuration, dtype, device and weights of ``module``.

        Inputs:
        - module: a torch.nn.RNN, LSTM or GRU (as the class), without proj_size.

        Returns:
        - the new layer; its outputs equal module's on the same inputs.
        """
        if type(module) is not cls.torch_class:
            raise TypeError(
                f"module must be a torch.nn.{cls.torch_class.__name__}, got {type(module).__name__}"
            )
        if getattr(module, "proj_size", 0):
            raise ValueError("module must have proj_size = 0 (projections are not supported)")
        layer = cls(
            module.input_size, module.hidden_size, module.num_layers, module.bias,
            module.batch_first, float(module.dropout), module.bidirectional,
        )
        reference = next(module.parameters())
        layer.to(device=reference.device, dtype=reference.dtype)
        layer.load_state_dict(module.state_dict())
        return layer

    def _check_input(self, x: Tensor, lengths) -> tuple[Tensor, Tensor | None]:
        """Validate x (B, T, input_size) and lengths; return x and lengths ((B,) int64 or None)."""
        if not isinstance(x, Tensor):
            raise TypeError(f"x must be a torch.Tensor or PackedSequence, got {type(x).__name__}")
        if x.dim() != 3 or x.shape[2] != self.input_size or x.shape[1] == 0:
            order = "(B, T, input_size)" if self.batch_first else "(T, B, input_size)"
            raise ValueError(
                f"x must have shape {order} with input_size = {self.input_size} and T >= 1, "
                f"got {tuple(x.shape)} (in batch-first order)"
            )
        dtype = self.weight_ih_l0.dtype
        if x.dtype != dtype:
            raise TypeError(f"x must have the parameters' dtype {dtype}, got {x.dtype}")
        if lengths is None:
            return x, None
        lengths = torch.as_tensor(lengths).cpu()
        B, T = x.shape[:2]
        if lengths.shape != (B,) or lengths.is_floating_point():
            raise ValueError(f"lengths must hold {B} ints (one per sequence), got {lengths!r}")
        if lengths.min() < 1 or lengths.max() > T:
            raise ValueError(f"lengths must lie in [1, T = {T}], got {lengths.tolist()}")
        return x, lengths.to(torch.int64)

    def _initial_states(self, state, B: int, like: Tensor) -> list[Tensor]:
        """The initial state tensors, each (num_layers * num_directions, B, H)."""
        shape = (self.num_layers * self.num_directions, B, self.hidden_size)
        parts = self._state_parts(state)
        if parts is None:
            return [like.new_zeros(shape) for _ in range(self.state_size)]
        for name, part in zip(("h0", "c0")[: self.state_size], parts, strict=True):
            if not isinstance(part, Tensor) or tuple(part.shape) != shape:
                got = tuple(part.shape) if isinstance(part, Tensor) else type(part).__name__
                raise ValueError(f"state {name} must have shape (layers * dirs, B, H) = {shape}, "
                                 f"got {got}")
            if part.dtype != like.dtype:
                raise TypeError(f"state {name} must have dtype {like.dtype}, got {part.dtype}")
        return list(parts)

    def forward(self, x, state=None, lengths=None):
        """Run every layer and direction over a batch of sequences.

        Inputs:
        - x: (B, T, D) if batch_first else (T, B, D); or a PackedSequence (then no lengths).
        - state: initial state, zeros if None. LSTM: a tuple (h0, c0); RNN and GRU: h0. Each is
          (num_layers * num_directions, B, H), index layer * num_directions + direction.
        - lengths: optional (B,) ints in [1, T]: sequence b is x[b, :lengths[b]], the rest padding.

        Returns a tuple of:
        - out: (B, T, num_directions * H) (or (T, B, ...) / a PackedSequence, like x): the last
          layer's hidden states, both directions concatenated; zeros at padded positions.
        - state: final states, same structure and shapes as the input state, taken at each
          sequence's last real step (for the reverse direction: after reading the first token).
        """
        packed = x if isinstance(x, PackedSequence) else None
        if packed is not None:
            if lengths is not None:
                raise ValueError("lengths must be None when x is a PackedSequence")
            x, lengths = pad_packed_sequence(packed, batch_first=True)
        elif isinstance(x, Tensor) and not self.batch_first:
            x = x.transpose(0, 1)
        x, lengths = self._check_input(x, lengths)
        initial = self._initial_states(state, x.shape[0], x)
        out, final = self._run_layers(x, initial, lengths)
        if packed is not None:
            return _pack_like(out, packed), final
        return (out if self.batch_first else out.transpose(0, 1)), final

    def _run_layers(self, x: Tensor, initial: list[Tensor], lengths: Tensor | None):
        """The stack of layers on a batch-first x (B, T, D), initial states as in forward.

        Returns (out (B, T, dirs * H), final state in the subclass's structure).
        """
        B, T = x.shape[:2]
        mask = None
        if lengths is not None:
            mask = (torch.arange(T)[:, None] < lengths[None, :]).to(x.device)[:, :, None]  # (T,B,1)
        rev = _reverse_index(lengths, B, T, x.device)
        finals: list[list[Tensor]] = [[] for _ in initial]
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(self._suffixes(layer)):
                k = layer * self.num_directions + d
                inp = x if d == 0 else _reverse(x, rev)
                out, last = self._run_direction(inp, [s[k] for s in initial], mask, suffix)
                outs.append(out if d == 0 else _reverse(out, rev))
                for store, value in zip(finals, last, strict=True):
                    store.append(value)
            x = torch.cat(outs, dim=2) if len(outs) > 1 else outs[0]  # (B, T, dirs * H)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        if mask is not None:
            x = x * mask.transpose(0, 1)  # zeros at padded positions
        return x, self._pack_state([torch.stack(s) for s in finals])

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"bias={self.bias}, batch_first={self.batch_first}, dropout={self.dropout}, "
            f"bidirectional={self.bidirectional}"
        )


class RNN(RecurrentLayer):
    """Multi-layer, optionally bidirectional tanh RNN with torch.nn.RNN's interface.

    Inputs (constructor):
    - input_size: D, features per time step of the input.
    - hidden_size: H.
    - num_layers: L >= 1 stacked layers.
    - bias: learn bias_ih and bias_hh.
    - batch_first: inputs/outputs are (B, T, D) if True (the default here), else (T, B, D).
    - dropout: probability of dropping outputs between layers (training mode only), in [0, 1).
    - bidirectional: add a right-to-left RNN per layer; the output then has 2H features.
    - residual: use the unity-feedback step h_t = h_{t-1} + tanh(...) (see module docstring).

    Parameters (torch.nn.RNN's names): for layer l and suffix s in {"", "_reverse"}:
    weight_ih_l{l}{s} (H, D_l), weight_hh_l{l}{s} (H, H), bias_ih_l{l}{s} (H,),
    bias_hh_l{l}{s} (H,), all initialised from U(-1/sqrt(H), 1/sqrt(H)).
    The state is a single tensor h0 / h_n of shape (L * directions, B, H); see
    RecurrentLayer.forward for the call.
    """

    gates = 1
    state_size = 1
    torch_class = nn.RNN

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=True,
                 dropout=0.0, bidirectional=False, residual=False):
        self.residual = bool(residual)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)

    @classmethod
    def from_torch(cls, module: nn.Module) -> RNN:
        """A course RNN with the configuration and weights of a torch.nn.RNN whose
        nonlinearity is tanh (see RecurrentLayer.from_torch)."""
        if isinstance(module, nn.RNN) and module.nonlinearity != "tanh":
            raise ValueError(f"module must use nonlinearity='tanh', got {module.nonlinearity!r}")
        return super().from_torch(module)

    def _run_direction(self, x, state, mask, suffix):
        """One direction of one layer: x (B, T, D_l), state [h0 (B, H)], mask None or (T, B, 1).

        Returns (out (B, T, H), [h_T (B, H)]).
        """
        w_ih, w_hh, b_ih, b_hh = self._direction_params(suffix)
        bias = None if b_ih is None else b_ih + b_hh
        x_proj = F.linear(x.transpose(0, 1), w_ih, bias)  # (T, B, H): all steps in one product
        (h,) = state
        outs = []
        for t, x_t in enumerate(x_proj.unbind(0)):
            update = torch.tanh(x_t + h @ w_hh.T)  # (B, H)
            h_new = h + update if self.residual else update
            h = h_new if mask is None else torch.where(mask[t], h_new, h)
            outs.append(h)
        return torch.stack(outs, dim=1), [h]

    def extra_repr(self) -> str:
        return super().extra_repr() + (", residual=True" if self.residual else "")
