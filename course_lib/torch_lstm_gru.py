"""LSTM and GRU layers written from plain torch operations, drop-in replacements for torch.nn's.

``course_lib.lstm`` and ``course_lib.gru`` derive the gradients by hand in numpy; here the point
is the *layer*: several layers stacked, two directions, padded batches, and the same call
signature, parameter names and shapes as ``torch.nn.LSTM`` / ``torch.nn.GRU`` (so state dicts
load in both directions and the tests can demand equal numbers). Autograd does the backward
pass, except for the LSTM's time loop (see Speed).

Cell equations (PyTorch's gate order; W_i* are the rows of ``weight_ih``, W_h* of ``weight_hh``):

    LSTM, blocks (i, f, g, o):                 GRU, blocks (r, z, n):
    i = sig(W_ii x + W_hi h + b_i)             r = sig(W_ir x + b_ir + W_hr h + b_hr)
    f = sig(W_if x + W_hf h + b_f)             z = sig(W_iz x + b_iz + W_hz h + b_hz)
    g = tanh(W_ig x + W_hg h + b_g)            n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    o = sig(W_io x + W_ho h + b_o)             h' = (1 - z) * n + z * h
    c' = f * c + i * g,   h' = o * tanh(c')

(b = bias_ih + bias_hh for the LSTM.) With ``peephole=True`` the LSTM gates also read the cell
(Greff et al. 2017): ``p_i * c`` and ``p_f * c`` are added inside i and f, ``p_o * c'`` inside o;
the three vectors are the rows of ``weight_peephole_l{k}``, shape (3, H).

Layers and directions: layer k > 0 reads the outputs of layer k - 1 (both directions
concatenated, with dropout between layers in training mode). The reverse direction reads each
sequence from its *last real* token back to the first; final states are taken at each
sequence's last real step, so a padded batch gives what ``nn.LSTM`` gives on a
``pack_padded_sequence`` of it. Padded output positions are zeros.

Speed: the input projections of all T steps are one matrix product before the loop; each step
then does one (B, H) x (H, G*H) product plus element-wise gates. For the LSTM, the loop over time
is one ``torch.autograd.Function`` whose backward pass (BPTT) is written by hand, because
autograd would record and replay a dozen small operations per step. With a_t the (B, 4H)
pre-activations, da_t their gradient and dh_t, dc_t the gradients reaching h_t and c_t:

    dc_t += dh_t * o * (1 - tanh(c_t)^2)                  [+ da_o * p_o with peepholes]
    da_t = [dc_t g i (1 - i), dc_t c_{t-1} f (1 - f), dc_t i (1 - g^2), dh_t tanh(c_t) o (1 - o)]
    dc_{t-1} = dc_t * f                                   [+ da_i * p_i + da_f * p_f]
    dh_{t-1} = (gradient of the output h_{t-1}) + da_t W_hh

and at the end, for all steps in one product each: dW_hh = sum_t da_t^T h_{t-1}, and the input
projection's gradients (autograd) from da. At a padded step the state is carried, so dh_t and dc_t
pass to step t - 1 unchanged for those rows.

Measured (benchmarks/bench_lstm_gru.py: forward + backward, B=32, T=100, D=H=256, CPU): the GRU
takes the time of nn.GRU, and the LSTM the time of nn.LSTM with oneDNN disabled. nn.LSTM's
default fused oneDNN kernel is about 2x faster on a machine where oneDNN multiplies matrices
twice as fast as torch.mm (MKL on an AMD CPU); there the matrix products alone of this module
take about 1.65x nn.LSTM's whole time. Compared with autograd over the per-step operations
(as in the GRU), the hand-written loop saves a quarter of the time at H=64, a few % at H=256.

References: Hochreiter & Schmidhuber (1997); Gers et al. (2000); Greff et al. (2017);
Cho et al. (2014); the torch.nn.LSTM and torch.nn.GRU documentation.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

Tensor = torch.Tensor


def _check_positive_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")


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


def _sigmoid_grad(s: Tensor) -> Tensor:
    """sigmoid'(a) = s (1 - s), from the value s = sigmoid(a)."""
    return torch.addcmul(s, s, s, value=-1)


def _tanh_grad(y: Tensor) -> Tensor:
    """tanh'(a) = 1 - y^2, from the value y = tanh(a)."""
    return torch.addcmul(torch.ones_like(y), y, y, value=-1)


def _lstm_cell(
    a: Tensor, c_prev: Tensor, peep: Tensor | None, tanh_c: Tensor
) -> tuple[Tensor, Tensor]:
    """One LSTM step after the matrix products; a is turned into the gate values IN PLACE.

    Inputs:
    - a: (B, 4H) pre-activations, blocks (i, f, g, o); on return it holds i, f, g, o.
    - c_prev: (B, H) cell state c_{t-1}.
    - peep: None or (3, H) peephole rows p_i, p_f, p_o.
    - tanh_c: (B, H) buffer that receives tanh(c_t).

    Returns (h_t, c_t), each (B, H).
    """
    H = c_prev.shape[1]
    i, f, g, o = a.chunk(4, dim=1)  # (B, H) views into a
    if peep is not None:
        i.addcmul_(peep[0], c_prev)
        f.addcmul_(peep[1], c_prev)
    a[:, : 2 * H].sigmoid_()  # i and f together
    g.tanh_()
    c = torch.addcmul(f * c_prev, i, g)  # (B, H)
    if peep is not None:
        o.addcmul_(peep[2], c)
    o.sigmoid_()
    return o * torch.tanh(c, out=tanh_c), c


def _lstm_local_derivatives(
    gates: Tensor, c_prev: Tensor, tanh_c: Tensor
) -> tuple[Tensor, Tensor]:
    """The factors of the backward step that do not depend on the upstream gradient, all steps.

    Inputs:
    - gates: (T, B, 4H) gate values i, f, g, o of every step.
    - c_prev: (T, B, H) cell state before every step, c_{t-1}.
    - tanh_c: (T, B, H) tanh(c_t).

    Returns:
    - local: (T, B, 4H), blocks [g i (1 - i), c_{t-1} f (1 - f), i (1 - g^2), tanh(c_t) o (1 - o)]:
      the gradient of the pre-activations is local * [dc_t, dc_t, dc_t, dh_t].
    - dh_dc: (T, B, H), o (1 - tanh(c_t)^2) = d h_t / d c_t.
    """
    i, f, g, o = gates.chunk(4, dim=2)  # (T, B, H) each
    local = torch.empty_like(gates)
    l_i, l_f, l_g, l_o = local.chunk(4, dim=2)  # views, filled in place
    torch.mul(g, _sigmoid_grad(i), out=l_i)
    torch.mul(c_prev, _sigmoid_grad(f), out=l_f)
    torch.mul(i, _tanh_grad(g), out=l_g)
    torch.mul(tanh_c, _sigmoid_grad(o), out=l_o)
    return local, o * _tanh_grad(tanh_c)


def _split_by_mask(grad: Tensor, real: Tensor) -> tuple[Tensor, Tensor]:
    """Split grad (B, H) by one step's mask real (B, 1) bool, True at real rows.

    Returns (the part reaching the new state: zero at padded rows, the part reaching the
    carried state: zero at real rows), each (B, H).
    """
    return grad.masked_fill(~real, 0), grad.masked_fill(real, 0)


def _peephole_grad(da: Tensor, cs: Tensor) -> Tensor:
    """Gradient of the peepholes (3, H) from da (T, B, 4H) and the cell states cs (T + 1, B, H).

    p_i and p_f multiply c_{t-1} inside i_t and f_t; p_o multiplies c_t inside o_t.
    """
    da_i, da_f, _, da_o = da.chunk(4, dim=2)  # (T, B, H) each
    pairs = [(da_i, cs[:-1]), (da_f, cs[:-1]), (da_o, cs[1:])]
    return torch.stack([(d * c).sum((0, 1)) for d, c in pairs])


class _LSTMRecurrence(torch.autograd.Function):
    """The time loop of one LSTM direction, its backward pass (BPTT) written by hand.

    forward(xw, h0, c0, w_hh, peep, mask) -> (hs, c_last)

    Inputs:
    - xw: (T, B, 4H) input part of every step's pre-activations, x_t W_ih^T + b_ih + b_hh.
    - h0, c0: (B, H) initial state.
    - w_hh: (4H, H) recurrent weights.
    - peep: None or (3, H) peephole rows p_i, p_f, p_o.
    - mask: None or (T, B, 1) bool, True at real steps; at padded steps the state is carried.

    Returns:
    - hs: (T, B, H) hidden state after every step.
    - c_last: (B, H) cell state after the last step.

    The forward pass keeps the gate values, states and tanh(c_t) of every step. The backward
    pass runs the step equations of the module docstring from t = T - 1 down to 0 and writes
    every step's da_t into one (T, B, 4H) tensor; then dxw = da and dW_hh = sum_t da_t^T h_{t-1}
    is a single (4H, T B) @ (T B, H) product.
    """

    @staticmethod
    def forward(ctx, xw, h0, c0, w_hh, peep, mask):
        T, B, H = xw.shape[0], xw.shape[1], h0.shape[1]
        gates = torch.empty_like(xw)  # (T, B, 4H)
        hs = xw.new_empty(T, B, H)  # h_1 ... h_T, the output
        cs = xw.new_empty(T + 1, B, H)  # c_0 ... c_T
        tanh_c = xw.new_empty(T, B, H)  # tanh(c_t) before masking
        cs[0] = c0
        w_hh_t = w_hh.t()  # (H, 4H)
        h_prev = h0
        for t in range(T):
            a = torch.addmm(xw[t], h_prev, w_hh_t, out=gates[t])  # (B, 4H) pre-activations
            h, c = _lstm_cell(a, cs[t], peep, tanh_c[t])  # (B, H) each
            if mask is not None:  # padded rows keep their state
                h, c = torch.where(mask[t], h, h_prev), torch.where(mask[t], c, cs[t])
            hs[t], cs[t + 1] = h, c
            h_prev = h
        ctx.save_for_backward(h0, hs, gates, cs, tanh_c, w_hh, peep, mask)
        return hs, c

    @staticmethod
    @once_differentiable
    def backward(ctx, d_hs, d_c_last):
        h0, hs, gates, cs, tanh_c, w_hh, peep, mask = ctx.saved_tensors
        T, B, H = tanh_c.shape
        local, dh_dc = _lstm_local_derivatives(gates, cs[:-1], tanh_c)
        f = gates[:, :, H : 2 * H]  # (T, B, H) forget gates
        da = torch.empty_like(gates)  # (T, B, 4H) gradient of the pre-activations
        dh, dc = d_hs[T - 1], d_c_last  # (B, H): gradients reaching h_t and c_t
        for t in reversed(range(T)):
            if mask is not None:
                dh, dh_skip = _split_by_mask(dh, mask[t])
                dc, dc_skip = _split_by_mask(dc, mask[t])
            dc = torch.addcmul(dc, dh, dh_dc[t])  # all that reaches c_t, also through h_t
            if peep is not None:  # o_t reads c_t too
                dc.addcmul_(dh * local[t, :, 3 * H :], peep[2])
            torch.mul(torch.cat([dc, dc, dc, dh], dim=1), local[t], out=da[t])  # (B, 4H)
            dc = dc * f[t]  # to c_{t-1}
            if peep is not None:  # i_t and f_t read c_{t-1}
                dc.addcmul_(da[t, :, :H], peep[0]).addcmul_(da[t, :, H : 2 * H], peep[1])
            d_carry = d_hs[t - 1] if t > 0 else torch.zeros_like(dc)  # (B, H) to h_{t-1}
            if mask is not None:
                d_carry, dc = d_carry + dh_skip, dc + dc_skip
            dh = torch.addmm(d_carry, da[t], w_hh)  # (B, H) to h_{t-1}
        h_prev = torch.cat([h0[None], hs[:-1]])  # (T, B, H): h_{t-1} of every step
        d_w_hh = da.view(T * B, 4 * H).t() @ h_prev.view(T * B, H)  # (4H, H)
        d_peep = None if peep is None else _peephole_grad(da, cs)
        return da, dh, dc, d_w_hh, d_peep, None


class _RecurrentLayer(nn.Module):
    """What the LSTM and the GRU share: parameters, layers, directions, padding, packing.

    Subclasses set ``gates`` (4 or 3), ``torch_class`` and implement ``_run_direction``.
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
        _check_positive_int("input_size", input_size)
        _check_positive_int("hidden_size", hidden_size)
        _check_positive_int("num_layers", num_layers)
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

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.num_directions]

    def reset_parameters(self) -> None:
        """Every parameter uniform in [-1/sqrt(H), 1/sqrt(H)], as torch.nn.LSTM/GRU do."""
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
        - module: a torch.nn.LSTM (for LSTM) or torch.nn.GRU (for GRU), without proj_size.

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
        - state: initial state, zeros if None. LSTM: a tuple (h0, c0); GRU: h0. Each is
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


class LSTM(_RecurrentLayer):
    """Multi-layer, optionally bidirectional LSTM with torch.nn.LSTM's interface.

    Inputs (constructor):
    - input_size: D, features per input step.
    - hidden_size: H.
    - num_layers: stacked layers.
    - bias: learn bias_ih and bias_hh.
    - batch_first: x and out are (B, T, .) if True (the default here), (T, B, .) if False.
    - dropout: dropout probability on the outputs of every layer but the last (training only).
    - bidirectional: add a second direction reading the sequences backwards.
    - peephole: add peephole weights ``weight_peephole_l{k}[_reverse]`` (3, H): rows p_i, p_f, p_o.

    Parameters per layer k and direction: ``weight_ih_l{k}`` (4H, D_k), ``weight_hh_l{k}``
    (4H, H), ``bias_ih_l{k}`` (4H,), ``bias_hh_l{k}`` (4H,), suffix ``_reverse`` for the second
    direction, exactly as in torch.nn.LSTM. See _RecurrentLayer.forward for the call.
    """

    gates = 4
    state_size = 2
    torch_class = nn.LSTM

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=True,
                 dropout=0.0, bidirectional=False, peephole=False):
        self.peephole = bool(peephole)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)

    def _extra_parameters(self, suffix: str) -> None:
        if self.peephole:
            weight = nn.Parameter(torch.empty(3, self.hidden_size))
            self.register_parameter(f"weight_peephole{suffix}", weight)

    def _state_parts(self, state):
        if state is None:
            return None
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise TypeError("state must be None or a tuple (h0, c0) for an LSTM")
        return state

    @staticmethod
    def _pack_state(finals):
        return finals[0], finals[1]

    def _run_direction(self, x, state, mask, suffix):
        """One direction of one layer.

        Inputs:
        - x: (B, T, D_k).
        - state: [h0, c0], each (B, H).
        - mask: None or (T, B, 1) bool, True at real steps.
        - suffix: parameter-name suffix of this layer and direction.

        Returns (out (B, T, H), [h_T, c_T] each (B, H)).
        """
        w_ih, w_hh, b_ih, b_hh = self._direction_params(suffix)
        bias = None if b_ih is None else b_ih + b_hh
        xw = F.linear(x.transpose(0, 1), w_ih, bias)  # (T, B, 4H): all steps at once
        peep = getattr(self, f"weight_peephole{suffix}", None)
        hs, c_last = _LSTMRecurrence.apply(xw, *state, w_hh, peep, mask)  # (T, B, H), (B, H)
        return hs.transpose(0, 1), [hs[-1], c_last]

    def extra_repr(self) -> str:
        return super().extra_repr() + (", peephole=True" if self.peephole else "")


class GRU(_RecurrentLayer):
    """Multi-layer, optionally bidirectional GRU with torch.nn.GRU's interface.

    Inputs (constructor): as for LSTM, without peephole. Parameters per layer k and direction:
    ``weight_ih_l{k}`` (3H, D_k), ``weight_hh_l{k}`` (3H, H), ``bias_ih_l{k}`` (3H,),
    ``bias_hh_l{k}`` (3H,), blocks (r, z, n), suffix ``_reverse`` for the second direction.
    The state is a single tensor h0 / h_n of shape (num_layers * num_directions, B, H).
    """

    gates = 3
    state_size = 1
    torch_class = nn.GRU

    @staticmethod
    def _state_parts(state):
        return None if state is None else (state,)

    @staticmethod
    def _pack_state(finals):
        return finals[0]

    def _run_direction(self, x, state, mask, suffix):
        """One direction of one layer: x (B, T, D_k), state [h0 (B, H)], mask None or (T, B, 1).

        Returns (out (B, T, H), [h_T (B, H)]).
        """
        w_ih, w_hh, b_ih, b_hh = self._direction_params(suffix)
        xw = F.linear(x.transpose(0, 1), w_ih, b_ih)  # (T, B, 3H)
        w_hh_t = w_hh.t()  # (H, 3H)
        (h,) = state
        outs = []
        for t, xw_t in enumerate(xw.unbind(0)):
            hw = h.mm(w_hh_t) if b_hh is None else torch.addmm(b_hh, h, w_hh_t)  # (B, 3H)
            x_r, x_z, x_n = xw_t.chunk(3, dim=1)
            h_r, h_z, h_n = hw.chunk(3, dim=1)
            r = torch.sigmoid(x_r + h_r)
            z = torch.sigmoid(x_z + h_z)
            n = torch.tanh(x_n + r * h_n)
            h_new = n + z * (h - n)  # (1 - z) * n + z * h
            h = h_new if mask is None else torch.where(mask[t], h_new, h)
            outs.append(h)
        return torch.stack(outs, dim=1), [h]
