"""Which tensors the integer stage can store in 2 or 4 bits, and what the weights cost.

The sub-byte kernels (``quant/golden/subbyte``, ``td_*_sb.c``) read and write packed
activations for conv2d, depthwise_conv2d, fully_connected, add, avg_pool2d and max_pool2d
(and reshape moves packed bytes); every other op (quantize/dequantize at the float
boundary, softmax, concat, mean, pad, transpose, ...) is int8 only. So an activation's
requested width is kept only where its producer and all its consumers are in
:data:`PACKED_KINDS` and it is neither a graph input nor a graph output; elsewhere it is
8 bits. Ops that keep their input's quantization (reshape, pools, pad, transpose) tie
their output to their input: one width for the whole chain. Weights of any conv /
depthwise / fully connected layer may be 2, 4 or 8 bits.
"""

from __future__ import annotations

from tinydeploy.ir.graph import Graph
from tinydeploy.quantize.float_ops import SAME_QUANT_KINDS

PACKED_KINDS = ("conv2d", "depthwise_conv2d", "fully_connected", "add", "avg_pool2d",
                "max_pool2d", "reshape")
INT_DTYPE = {2: "int2", 4: "int4", 8: "int8"}       # signed storage of each width
BIAS_BYTES = 4                                       # int32


def deployable_act_bits(g: Graph, requested: dict[str, int]) -> tuple[dict[str, int],
                                                                      list[str]]:
    """``requested`` activation widths with 8 wherever the integer kernels need int8 (see
    the module doc); also the tensors whose sub-byte request was raised to 8, in order."""
    root: dict[str, str] = {}

    def find(t: str) -> str:
        while t in root:
            t = root[t]
        return t

    for op in g.ops:
        if op.kind in SAME_QUANT_KINDS:
            root[op.outputs[0]] = find(op.inputs[0])
    forced = {find(n) for n in (*g.inputs, *g.outputs)}
    for op in g.ops:
        if op.kind not in PACKED_KINDS:
            forced |= {find(n) for n in (*op.inputs, *op.outputs)
                       if n and not g.t(n).is_const}
    out, raised = {}, []
    for name, bits in requested.items():
        r = find(name)
        want = requested.get(r, bits)
        out[name] = 8 if r in forced else want
        if want < 8 and out[name] == 8 and r == name:
            raised.append(name)
    return out, raised


def layer_weight_bytes(g: Graph, op, wbits: int) -> int:
    """Storage bytes of a linear layer's weights (packed at ``wbits``) and int32 bias."""
    w = g.t(op.inputs[1])
    bias = g.t(op.inputs[2]).size * BIAS_BYTES if len(op.inputs) > 2 and op.inputs[2] else 0
    return -(-w.size * wbits // 8) + bias
