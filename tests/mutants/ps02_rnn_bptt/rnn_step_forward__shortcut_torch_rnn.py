# FORBIDDEN: correct, but runs one step of course_lib.torch_rnn.RNN (imported in the function).
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    import torch

    from course_lib.torch_rnn import RNN

    if x.ndim != 2 or Wx.ndim != 2 or x.shape[1] != Wx.shape[0]:
        raise ValueError("x must be (N, D) and Wx (D, H)")
    N, H = x.shape[0], Wx.shape[1]
    for name, array, shape in (("h_prev", h_prev, (N, H)), ("Wh", Wh, (H, H)), ("b", b, (H,))):
        if array.shape != shape:
            raise ValueError(f"{name} must have shape {shape}")
    layer = RNN(Wx.shape[0], H).double()
    with torch.no_grad():
        layer.weight_ih_l0.copy_(torch.from_numpy(Wx.T))
        layer.weight_hh_l0.copy_(torch.from_numpy(Wh.T))
        layer.bias_ih_l0.copy_(torch.from_numpy(b))
        layer.bias_hh_l0.zero_()
        out, _ = layer(torch.from_numpy(x)[:, None], torch.from_numpy(h_prev)[None])
    h = out[:, 0].numpy()
    return h, (x, h_prev, Wx, Wh, h)
