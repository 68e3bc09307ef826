"""Handlers of the elementwise nodes that make up requantization chains.

Mul/Add/Sub/Div with a constant, Add/Sub of two values, Floor, Cast, Clip, Relu and
pass-through nodes each advance a :class:`~.values.Chain` (:mod:`.chains`); nothing is
emitted until an integer layer or a graph output needs the value.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.frontend.onnx_facts import dtype_name, elem_type
from tinydeploy.frontend.pulp import chains
from tinydeploy.frontend.pulp.build import Builder
from tinydeploy.frontend.pulp.layers import attrs
from tinydeploy.frontend.pulp.values import Chain, IntVal, leaf


def bits_of(b: Builder, name: str) -> int | None:
    return chains.FLOAT_BITS.get(b.types.get(name, "float"))


def chain_of(b: Builder, name: str, arithmetic: bool = True, per_feature: bool = False,
             bits: int | None | str = "auto") -> Chain:
    """The value ``name`` as a chain; a rounded chain is lowered first when arithmetic
    follows (it becomes the input of a new chain)."""
    v = b.vals.get(name)
    if v is None:
        raise b.error(f"input '{name}' is not an activation this importer knows")
    if isinstance(v, Chain) and not (arithmetic and v.rounding is not None):
        return v
    if isinstance(v, Chain):
        v = b.int_value(name, b.node.op_type if b.node is not None else "arithmetic")
    v = b.unpad(v)
    if per_feature:
        v = b.chw_order(v)
    return leaf(v, b.label, bits_of(b, name) if bits == "auto" else bits)


def _const_size(b: Builder, name: str) -> int:
    return int(np.asarray(b.consts[name]).size)


def arith(b: Builder, node) -> None:
    op = node.op_type
    a, c = node.input[0], node.input[1]
    out = node.output[0]
    if a in b.consts or c in b.consts:
        x, k = (c, a) if a in b.consts else (a, c)
        ch = chain_of(b, x, per_feature=_const_size(b, k) > 1)
        kv = chains.per_channel(b.consts[k], ch.shape, b.label)
        if op == "Mul":
            ch = chains.mul(ch, kv, b.label)
        elif op == "Add":
            ch = chains.add(ch, kv, b.label)
        elif op == "Sub" and x == a:
            ch = chains.add(ch, -kv, b.label)
        elif op == "Sub":
            ch = chains.add(chains.negate(ch, b.label), kv, b.label)
        elif x == a:
            ch = chains.div(ch, kv, b.label)
        else:
            raise b.error("dividing a constant by an activation is not an integer "
                          "requantization")
        b.types[out] = b.types.get(x, "float")
    elif op in ("Add", "Sub"):
        ca, cb = chain_of(b, a), chain_of(b, c)
        if tuple(ca.shape) != tuple(cb.shape):
            raise b.error(f"{op} of values of shapes {list(ca.shape)} and {list(cb.shape)} "
                          "(broadcasting between activations is not supported)")
        ch = chains.combine(ca, cb, b.label, 1 if op == "Add" else -1)
        b.types[out] = b.types.get(a, "float")
    else:
        raise b.error(f"{op} of two activations is not an integer requantization")
    b.vals[out] = ch


def floor(b: Builder, node) -> None:
    ch = chain_of(b, node.input[0], arithmetic=False)
    if ch.bits is not None:
        ch = chains.round_to_int(ch, "floor", b.label)
    b.vals[node.output[0]] = ch
    b.types[node.output[0]] = b.types.get(node.input[0], "float")


def cast(b: Builder, node) -> None:
    to = dtype_name(elem_type(attrs(node).get("to"), b.path, node, "Cast to"))
    ch = chain_of(b, node.input[0], arithmetic=False)
    b.vals[node.output[0]] = chains.cast(ch, to, b.label)
    b.types[node.output[0]] = to


def _bound(b: Builder, node, i: int, key: str, opset: int):
    if opset < 11:
        return attrs(node).get(key)
    if len(node.input) > i and node.input[i]:
        c = np.asarray(b.const_of(node.input[i], "Clip bound"))
        if c.size != 1:
            raise b.error(f"Clip bound '{node.input[i]}' has {c.size} values (expected one)")
        return float(c.ravel()[0])
    return None


def clip(b: Builder, node) -> None:
    opset = b.opset
    lo, hi = _bound(b, node, 1, "min", opset), _bound(b, node, 2, "max", opset)
    ch = chain_of(b, node.input[0], arithmetic=False)
    b.vals[node.output[0]] = chains.clip(ch, lo, hi, b.label)
    b.types[node.output[0]] = b.types.get(node.input[0], "float")


def relu(b: Builder, node) -> None:
    ch = chain_of(b, node.input[0], arithmetic=False)
    b.vals[node.output[0]] = chains.clip(ch, 0, None, b.label)
    b.types[node.output[0]] = b.types.get(node.input[0], "float")


def passthrough(b: Builder, node) -> None:
    """Identity/Dropout (inference): the output is the input."""
    src = node.input[0]
    if src in b.consts:
        b.consts[node.output[0]] = b.consts[src]
        return
    if src not in b.vals:
        raise b.error(f"input '{src}' is not an activation this importer knows")
    b.vals[node.output[0]] = b.vals[src]
    if src in b.done:
        b.done[node.output[0]] = b.done[src]
    b.types[node.output[0]] = b.types.get(src, "float")


def unsupported_rounding(b: Builder, node) -> None:
    raise b.error(f"{node.op_type} rounding is not supported (integer-deployable exports "
                  "use Floor, integer casts or integer Div)")


HANDLERS = {"Mul": arith, "Add": arith, "Sub": arith, "Div": arith, "Floor": floor,
            "Cast": cast, "Clip": clip, "Relu": relu, "Identity": passthrough,
            "Dropout": passthrough, "Ceil": unsupported_rounding,
            "Round": unsupported_rounding}

__all__ = ["HANDLERS", "chain_of", "IntVal"]
