"""Op kinds of float32 networks that no integer kind already names.

Float32 graphs reuse the integer kinds wherever the meaning is the same (``conv2d``,
``depthwise_conv2d``, ``avg_pool2d``, ``max_pool2d``, ``matmul``, ``add``, ``sub``,
``mul``, ``div``, ``maximum``, ``minimum``, ``softmax``, ``reduce``, ``reduce_max``,
``transpose``, ``concat``, ``pad``, ``slice``, ``gather``, ``reshape``): a float32 tensor
on such an op selects its float32 variant (``quant/golden/float32/``, kernels
``runtime/kernels/td_*_f32.c``). The kinds below exist for float32 only. Their arithmetic
is the golden's (``quant/golden/float32/``): float32 operations in the order the C
kernels perform them.
"""

from __future__ import annotations

from tinydeploy.ir.ops import OpDef, elementwise_macs, reduce_macs, register

UNARY_FNS = ("relu", "exp", "sqrt", "sigmoid", "tanh", "gelu", "hard_sigmoid",
             "hard_swish", "swish", "floor", "ceil", "clip", "neg", "abs", "erf",
             "leaky_relu", "reciprocal", "log", "round", "identity")

register(OpDef("unary", ("x",),
               {"fn": "one of " + ", ".join(UNARY_FNS),
                "alpha": "float parameter (hard_sigmoid/hard_swish slope, swish and "
                         "leaky_relu alpha, clip lower bound)",
                "beta": "float parameter (hard_sigmoid/hard_swish offset, clip upper "
                        "bound)"},
               elementwise_macs,
               "float32 y = fn(x) elementwise (gelu: the erf form, as ONNX Gelu and "
               "com.microsoft.Gelu; hard_sigmoid: max(0, min(1, alpha*x + beta)); "
               "hard_swish: x * hard_sigmoid(x); swish: x * sigmoid(alpha*x))"))
register(OpDef("pow", ("a", "b"), {}, elementwise_macs,
               "float32 a ** b elementwise (numpy broadcast)"))
register(OpDef("norm", ("x", "scale", "bias"),
               {"mode": "'layer' (mean and variance) or 'rms' (mean of squares)",
                "inner": "elements per normalized group (the row)",
                "scale_stride": "the scale/bias index of element e is (e // scale_stride) "
                                "% scale_len",
                "scale_len": "elements of scale (and bias)",
                "epsilon": "float added to the variance (mean square)"},
               reduce_macs,
               "float32 normalization of consecutive groups of `inner` elements (ONNX "
               "LayerNormalization, GroupNormalization, InstanceNormalization, RMS norm): "
               "y = (x - mean) / sqrt(var + epsilon) * scale + bias (rms: x / sqrt(mean "
               "square + epsilon) * scale + bias); bias optional"))
register(OpDef("log_softmax", ("x",), {}, elementwise_macs,
               "float32 log-softmax over the last axis: (x - max) - log(sum exp(x - max))"))
register(OpDef("softmax_grad", ("dy", "y"), {}, elementwise_macs,
               "float32 gradient of softmax over the last axis (com.microsoft SoftmaxGrad): "
               "dx = y * (dy - sum(dy * y)) per row"))
register(OpDef("softmax_ce_grad", ("log_prob", "labels"),
               {"batch": "the batch size N the mean reduction divides by"},
               elementwise_macs,
               "float32 gradient of the mean softmax cross-entropy loss w.r.t. the logits "
               "(com.microsoft SoftmaxCrossEntropyLossGrad as Deeploy runs it, without "
               "dY): log_prob [N, C] float32, labels [N] int64; p = expf(log_prob), "
               "b = 1.0f / N, dx = ((p - 1) * b) * b in the label's column, (p * b) * b "
               "elsewhere (a label outside [0, C) selects no column)"))
register(OpDef("gelu_grad", ("dy", "x"), {}, elementwise_macs,
               "float32 gradient of the erf-form GELU (com.microsoft GeluGrad): dx = dy * "
               "(0.5 * (1 + erf(x / sqrt 2)) + x * exp(-x*x/2) / sqrt(2 pi)) elementwise"))
register(OpDef("norm_grad", ("dy", "x", "scale"),
               {"inner": "elements per normalized row (the last axis)",
                "epsilon": "float added to the variance"},
               reduce_macs,
               "float32 gradient w.r.t. x of a layer normalization over rows of `inner` "
               "elements (com.microsoft LayerNormalizationGrad as Deeploy's graphs carry "
               "it: mean and variance recomputed from x): dx = inv * scale * (dy - "
               "sum(dy)/N - (x - mean) * inv * inv / N * sum(dy * scale * (x - mean) * "
               "inv)), inv = 1 / sqrt(var + epsilon)"))
