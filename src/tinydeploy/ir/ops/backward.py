"""Float32 op kinds of the backward pass of on-device training (the gradient graph the
reverse-mode autodiff builds): gradients of the forward kinds that no existing kind covers,
and the mean cross-entropy loss value.

The conv and pool gradients take the attributes of their forward op under the same names
(``stride``, ``dilation``, ``pads``, ``groups``; ``kernel``, ``count_include_pad``), so
the builder copies them through; a fused activation (``act``) other than ``none`` is
refused (its gradient is an ``act_grad`` op of its own). The forward geometry is fixed by
the forward input shape (the output of ``*_grad_input`` and of the pool gradients, the
``x`` input of ``*_grad_weight``) together with ``dy`` (the forward output's shape).
Arithmetic and summation orders: ``quant/golden/float32/backward*.py`` (float32 operations
in the order of the C kernels ``runtime/kernels/td_*_grad*_f32.c``, bit for bit).
"""

from __future__ import annotations

from tinydeploy.ir.ops import OpDef, elementwise_macs, reduce_macs, register

ACT_GRAD_FNS = ("relu", "relu6", "relu_n1_to_1")      # td_act_grad_f32.h codes 0, 1, 2

_CONV = {"stride": "(sh, sw) of the forward conv",
         "dilation": "(dh, dw) of the forward conv",
         "pads": "(top, left, bottom, right) of the forward conv",
         "act": "the forward's fused activation: 'none' only (absent: none)"}
_POOL = {"kernel": "(kh, kw) of the forward pool", "stride": "(sh, sw) of the forward pool",
         "pads": "(top, left, bottom, right) of the forward pool",
         "act": "the forward's fused activation: 'none' only (absent: none)"}


def _grad_in_macs(g, op) -> int:
    """One multiply-add per (forward output, weight tap) pair, as the forward."""
    w = g.t(op.inputs[1])
    dy = g.t(op.inputs[0])
    per = w.shape[0] * w.shape[1] if op.kind.startswith("depthwise") else \
        int(w.size // max(w.shape[0], 1))
    return dy.size * per


def _grad_w_macs(g, op) -> int:
    dw = g.t(op.outputs[0])
    dy = g.t(op.inputs[0])
    per = dw.shape[0] * dw.shape[1] if op.kind.startswith("depthwise") else \
        int(dw.size // max(dw.shape[0], 1))
    return dy.size * per


def _pool_grad_macs(g, op) -> int:
    kh, kw = op.attrs["kernel"]
    return g.t(op.inputs[0]).size * int(kh) * int(kw)


register(OpDef("act_grad", ("dy", "y"),
               {"fn": "the forward activation: " + ", ".join(ACT_GRAD_FNS)},
               elementwise_macs,
               "float32 gradient of a clamping activation from its forward OUTPUT y: dx = "
               "dy where y lies in the open active range (relu: y > 0; relu6: 0 < y < 6; "
               "relu_n1_to_1: -1 < y < 1), else 0.0f; elementwise, dx may be dy or y"))
register(OpDef("conv2d_grad_input", ("dy", "weight"), {**_CONV, "groups": "of the forward"},
               _grad_in_macs,
               "float32 gradient of conv2d (NHWC, OHWI weights [C_out, KH, KW, C_in/groups]) "
               "w.r.t. its input: dx [N, H, W, C_in] (the forward input's shape), dx[n, iy, "
               "ix, ci] = sum over the taps (ky, kx) whose forward window reads (iy, ix) and "
               "the output channels co of ci's group of dy[n, oy, ox, co] * w[co, ky, kx, "
               "ci % cin_g], summed from 0.0f with ky, kx, co increasing (co innermost)"))
register(OpDef("conv2d_grad_weight", ("dy", "x"), {**_CONV, "groups": "of the forward"},
               _grad_w_macs,
               "float32 gradient of conv2d w.r.t. its weights: dw [C_out, KH, KW, C_in/groups] "
               "(OHWI, the forward weight shape), dw[co, ky, kx, ci] = sum over n, oy, ox "
               "(increasing, ox innermost, from 0.0f) of dy[n, oy, ox, co] * x[n, oy*sh - "
               "pad_t + ky*dh, ox*sw - pad_l + kx*dw, g*cin_g + ci] over taps inside x"))
register(OpDef("depthwise_conv2d_grad_input", ("dy", "weight"),
               {**_CONV, "depth_multiplier": "1 only (absent: 1)"}, _grad_in_macs,
               "float32 gradient of depthwise_conv2d (weights [KH, KW, C]) w.r.t. its input: "
               "conv2d_grad_input with groups = C"))
register(OpDef("depthwise_conv2d_grad_weight", ("dy", "x"),
               {**_CONV, "depth_multiplier": "1 only (absent: 1)"}, _grad_w_macs,
               "float32 gradient of depthwise_conv2d w.r.t. its weights: dw [KH, KW, C], "
               "conv2d_grad_weight with groups = C"))
register(OpDef("avg_pool2d_grad", ("dy",),
               {**_POOL, "count_include_pad": "of the forward (divide by KH*KW)"},
               _pool_grad_macs,
               "float32 gradient of avg_pool2d w.r.t. its input: dx [N, H, W, C] (the forward "
               "input's shape), dx[n, iy, ix, c] = sum over the windows (ky, kx increasing, "
               "from 0.0f) that hold (iy, ix) of dy[n, oy, ox, c] / count, count the "
               "forward's divisor (the window's elements inside the input, or KH*KW)"))
register(OpDef("max_pool2d_grad", ("dy", "x"), _POOL, _pool_grad_macs,
               "float32 gradient of max_pool2d w.r.t. its input x: dx = 0 except at each "
               "window's first maximum (the forward's rule: row by row, replaced only by a "
               "greater element), where dy is added, windows in increasing (oy, ox) order"))
register(OpDef("ce_loss", ("log_prob", "labels"),
               {"batch": "the N the mean divides by (absent: the rows of log_prob)"},
               reduce_macs,
               "float32 mean cross-entropy loss [1] from log-probabilities [N, C] and int64 "
               "labels [N]: -(sum over rows i, increasing from 0.0f, of log_prob[i, "
               "labels[i]]) / batch; a label outside [0, C) adds nothing (still counted in "
               "batch)"))
