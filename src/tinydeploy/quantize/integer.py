"""Quantization plan -> integer-deployable IR graph (what ``tinydeploy compile`` runs).

The result is an ordinary integer :class:`~tinydeploy.ir.graph.Graph`: float32 graph
inputs go through a ``quantize`` op, the body is int8 (per-channel symmetric int8 weights,
int32 biases with scale ``float32(s_x) * s_w``, per-tensor asymmetric int8 activations),
and each float32 graph output is a ``dequantize`` of its int8 tensor. Layers the bits
config makes narrower get the signed packed dtypes ``int4``/``int2`` (weights and
activations; values unpacked in numpy) and run on the sub-byte kernels. It is built the way the ONNX
frontend imports the exported QDQ file (:mod:`tinydeploy.quantize.export_onnx`), so the
file compiles to this very arithmetic: ``concat`` inputs of another quantization are
requantized first, a standalone activation is an int8 ``quantize`` with ``act``. In an
all-int8 plan each conv / fully-connected layer is an int32 accumulator and a ``requant``
with one rounding (what the QDQ file's float arithmetic computes; the compiler's passes
fuse the pair); with sub-byte layers every layer keeps TFLite's requantization.

Tensor names are the deployable graph's, except graph inputs and outputs: their float32
tensors keep the name and the int8 tensors get an ``_int8`` suffix.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op, QuantParams, Tensor
from tinydeploy.quantize.plan import LINEAR, QuantPlan
from tinydeploy.quant.requant import activation_range, single_rounding_attrs
from tinydeploy.quantize.precision import INT_DTYPE, PACKED_KINDS

DEPLOYABLE_BITS = (2, 4, 8)


def check_bits(plan: QuantPlan) -> None:
    """Every width is one the kernels have, and sub-byte activations only sit between ops
    with sub-byte kernels (``make_plan`` arranges that); name the layer otherwise."""
    g = plan.graph
    for op in g.ops:
        b = plan.bits[op.name]
        if b.weights not in DEPLOYABLE_BITS or b.activations not in DEPLOYABLE_BITS:
            raise UnsupportedError(f"{b.weights}-bit weights / {b.activations}-bit activations "
                                   f"cannot be deployed (widths {DEPLOYABLE_BITS})",
                                   node=op.name)
        narrow = [n for n in (*op.inputs, *op.outputs)
                  if n and not g.t(n).is_const and plan.act_bits.get(n, 8) < 8]
        if narrow and op.kind not in PACKED_KINDS:
            raise UnsupportedError(f"{op.kind} has no sub-byte kernel for its "
                                   f"{plan.act_bits[narrow[0]]}-bit tensor '{narrow[0]}'",
                                   node=op.name)


class _Builder:
    def __init__(self, plan: QuantPlan):
        self.plan, self.g = plan, plan.graph
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[Op] = []
        self.names: dict[str, str] = {}        # deployable tensor -> int8 IR tensor
        # all int8: linear layers requantize with one rounding (the ONNX importer's rule)
        self.acts: dict[str, str] = {}         # requant op -> activation it clamps to
        self.single = (all(v.weights == 8 and v.activations == 8 for v in plan.bits.values())
                       and all(v == 8 for v in plan.act_bits.values()))

    def unique(self, base: str) -> str:
        name = base
        while name in self.tensors or name in self.g.tensors:
            name += "_"
        return name

    def act(self, name: str, ir_name: str | None = None) -> str:
        t = self.g.t(name)
        ir = ir_name or name
        dtype = INT_DTYPE[self.plan.act_bits.get(name, 8)]
        self.tensors[ir] = Tensor(ir, t.shape, dtype, self.plan.act[name])
        self.names[name] = ir
        return ir

    def op(self, kind: str, name: str, ins, out: str, **attrs) -> None:
        self.ops.append(Op(kind, name, tuple(ins), (out,), attrs))

    def requantized(self, ir: str, q: QuantParams) -> str:
        t = self.tensors[ir]
        if np.array_equal(t.quant.scale, q.scale) and t.quant.zp == q.zp:
            return ir
        out = self.unique(f"{ir}_rq")
        self.tensors[out] = Tensor(out, t.shape, "int8", q)
        self.op("quantize", out, [ir], out)
        return out


def build_integer_graph(plan: QuantPlan) -> Graph:
    check_bits(plan)
    b = _Builder(plan)
    g = plan.graph
    for n in g.inputs:
        b.tensors[n] = Tensor(n, g.t(n).shape, "float32")
        b.op("quantize", f"{n}_quantize", [n], b.act(n, b.unique(f"{n}_int8")))
    for op in g.ops:
        _LOWER.get(op.kind, _lower_plain)(b, op)
    outputs = []
    for n in g.outputs:
        ir = b.names[n]
        if ir == n:                         # give the float32 output the graph's name
            ir = b.unique(f"{n}_int8")
            _rename(b, n, ir)
        b.tensors[n] = Tensor(n, g.t(n).shape, "float32")
        b.op("dequantize", f"{n}_dequantize", [ir], n)
        outputs.append(n)
    ig = Graph(g.name, b.tensors, b.ops, list(g.inputs), outputs, g.source,
               {"format": "quantized", "names": dict(b.names), "requant_act": dict(b.acts)})
    ig.validate()
    return ig


def integer_names(ig: Graph) -> dict[str, str]:
    """Deployable tensor name -> int8 IR tensor name."""
    return dict(ig.meta["names"])


def _rename(b: _Builder, old: str, new: str) -> None:
    t = b.tensors.pop(old)
    b.tensors[new] = Tensor(new, t.shape, t.dtype, t.quant, t.data)
    b.ops = [o.with_(inputs=tuple(new if n == old else n for n in o.inputs),
                     outputs=tuple(new if n == old else n for n in o.outputs)) for o in b.ops]
    b.names = {k: (new if v == old else v) for k, v in b.names.items()}


def _lower_linear(b: _Builder, op: Op) -> None:
    qw = b.plan.weights[op.name]
    x = b.names[op.inputs[0]]
    w = b.unique(f"{op.name}_weight")
    b.tensors[w] = Tensor(w, qw.w.shape, INT_DTYPE[b.plan.bits[op.name].weights],
                          QuantParams.make(qw.w_scale.astype(np.float64), 0, qw.axis), qw.w)
    bias = b.unique(f"{op.name}_bias")
    b.tensors[bias] = Tensor(bias, qw.bias.shape, "int32",
                             QuantParams.make(qw.bias_scale.astype(np.float64), 0, 0), qw.bias)
    if not b.single:
        b.op(op.kind, op.name, [x, w, bias], b.act(op.outputs[0]), **op.attrs)
        return
    attrs = dict(op.attrs)
    act = attrs.pop("act", "none")
    acc = b.unique(f"{op.name}_acc")
    b.tensors[acc] = Tensor(acc, b.g.t(op.outputs[0]).shape, "int32", QuantParams.make(1.0, 0))
    b.op(op.kind, op.name, [x, w, bias], acc, **attrs, act="none")
    q = b.plan.act[op.outputs[0]]
    ratios = (np.float64(np.float32(b.tensors[x].quant.s)) *
              qw.w_scale.astype(np.float32).astype(np.float64) / np.float64(np.float32(q.s)))
    lo, hi = activation_range(act, q.s, q.zp)
    b.acts[f"{op.name}_requant"] = act
    b.op("requant", f"{op.name}_requant", [acc], b.act(op.outputs[0]),
         **single_rounding_attrs(ratios, q.zp, lo, hi))


def _lower_concat(b: _Builder, op: Op) -> None:
    q = b.plan.act[op.outputs[0]]
    ins = [b.requantized(b.names[n], q) for n in op.inputs]
    b.op("concat", op.name, ins, b.act(op.outputs[0]), **op.attrs)


def _lower_act(b: _Builder, op: Op) -> None:
    """A standalone activation: int8 requantize carrying the clamp (TFLite's RELU)."""
    b.op("quantize", op.name, [b.names[op.inputs[0]]], b.act(op.outputs[0]),
         act=op.attrs["act"])


def _lower_plain(b: _Builder, op: Op) -> None:
    if op.kind == "batch_norm":
        raise UnsupportedError("BatchNorm left after folding", node=op.name)
    ins = [b.names[n] for n in op.inputs]
    b.op(op.kind, op.name, ins, b.act(op.outputs[0]), **op.attrs)


def _lower_mean(b: _Builder, op: Op) -> None:
    """A spatial mean that keeps its input's quantization is an average pool (so the ONNX
    importer, which makes that choice for ReduceMean, gives the same arithmetic)."""
    x = b.g.t(op.inputs[0])
    qx, qy = b.plan.act[op.inputs[0]], b.plan.act[op.outputs[0]]
    if (len(x.shape) == 4 and tuple(op.attrs["axes"]) == (1, 2) and op.attrs["keepdims"]
            and np.array_equal(qx.scale, qy.scale) and qx.zp == qy.zp):
        b.op("avg_pool2d", op.name, [b.names[x.name]], b.act(op.outputs[0]),
             kernel=x.shape[1:3], stride=(1, 1), pads=(0, 0, 0, 0), act="none")
        return
    _lower_plain(b, op)


_LOWER = {**{k: _lower_linear for k in LINEAR}, "concat": _lower_concat, "act": _lower_act,
          "mean": _lower_mean}
