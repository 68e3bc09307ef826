"""The sub-byte goldens against the int8 goldens (themselves checked against TFLite Micro).

- 8 bits everywhere: the sub-byte golden gives exactly the int8 golden's output.
- Signed sub-byte tensors: their values fit int8, so the same layer with every tensor
  stored as int8 runs on the int8 golden; its output, clamped to the sub-byte output range,
  must equal the sub-byte golden's (same accumulators, same requantization).
- Bad layers are clear errors naming the layer.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.graphs import act, one_op
from tests.subbyte import _cases as cs
from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, QuantParams, Tensor
from tinydeploy.passes import run_passes
from tinydeploy.quant.execute import prepare_all, run_graph
from tinydeploy.quant.packing import dtype_range

SEEDS = st.integers(0, 2**32 - 1)


def _builders(rng, prefix: str, dt) -> list[Graph]:
    """One layer of every op kind; ``dt(n)`` gives the n activation dtypes of a layer."""
    return [
        cs.conv_case(rng, prefix + "c_", *dt(1), cs.W_DTYPE[int(rng.choice(cs.BITS))],
                     *dt(1)),
        cs.conv_case(rng, prefix + "p_", *dt(1), cs.W_DTYPE[int(rng.choice(cs.BITS))],
                     *dt(1), pointwise=True),
        cs.depthwise_case(rng, prefix + "d_", *dt(1), cs.W_DTYPE[int(rng.choice(cs.BITS))],
                          *dt(1)),
        cs.fc_case(rng, prefix + "f_", *dt(1), cs.W_DTYPE[int(rng.choice(cs.BITS))], *dt(1)),
        cs.add_case(rng, prefix + "a_", *dt(3)),
        cs.pool_case(rng, prefix + "m_", "max_pool2d", *dt(2)),
        cs.pool_case(rng, prefix + "v_", "avg_pool2d", *dt(2)),
    ]


def _as_int8(g: Graph) -> Graph:
    """The same graph with every sub-byte tensor stored as int8 (same values/quant)."""
    tensors = {n: Tensor(t.name, t.shape, "int8" if t.dtype in ("int4", "int2") else t.dtype,
                         t.quant, t.data) for n, t in g.tensors.items()}
    return Graph(g.name, tensors, g.ops, g.inputs, g.outputs)


@settings(max_examples=25, deadline=None)
@given(seed=SEEDS)
def test_subbyte_golden_at_8_bits_equals_int8_golden(seed):
    rng = np.random.default_rng(seed)
    g = cs.merge(_builders_8(rng))
    rec = [cs.random_values(rng, g.t(n)) for n in g.inputs]
    want = run_graph(g, rec)                        # int8 goldens (no packed tensor)
    got = run_graph(g, rec, cs.subbyte_args(g))     # forced sub-byte goldens
    for name in g.outputs:
        assert got[name].dtype == np.int8
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def _builders_8(rng) -> list[Graph]:
    return [cs.conv_case(rng, "c_", "int8", "int8", "int8"),
            cs.depthwise_case(rng, "d_", "int8", "int8", "int8"),
            cs.fc_case(rng, "f_", "int8", "int8", "int8"),
            cs.add_case(rng, "a_", "int8", "int8", "int8"),
            cs.pool_case(rng, "m_", "max_pool2d", "int8", "int8"),
            cs.pool_case(rng, "v_", "avg_pool2d", "int8", "int8")]


@settings(max_examples=25, deadline=None)
@given(seed=SEEDS)
def test_signed_subbyte_golden_is_int8_golden_clamped_to_output_range(seed):
    rng = np.random.default_rng(seed)

    def dt(n):
        return [cs.act_dtype(int(rng.choice(cs.BITS)), True) for _ in range(n)]

    g = cs.merge(_builders(rng, "", dt))
    rec = [cs.random_values(rng, g.t(n)) for n in g.inputs]
    got = run_graph(g, rec)
    want = run_graph(_as_int8(g), rec)
    for name in g.outputs:
        lo, hi = dtype_range(g.t(name).dtype)
        np.testing.assert_array_equal(got[name], np.clip(want[name], lo, hi), err_msg=name)


def test_packed_layers_use_sub_byte_kernels_and_int8_layers_do_not():
    rng = np.random.default_rng(3)
    g = cs.merge([cs.conv_case(rng, "q_", "int8", "int4", "int8"),
                  cs.conv_case(rng, "e_", "int8", "int8", "int8")])
    args = prepare_all(run_passes(g))
    assert args["q_op"].C_FUNC == "td_conv2d_sb"
    assert args["e_op"].C_FUNC == "td_conv2d_s8"


def _fc(w_dtype: str, w_data, x_dtype: str = "int8") -> Graph:
    w = Tensor("w", (2, 3), w_dtype, QuantParams.make([0.1, 0.2], 0, 0),
               np.asarray(w_data, dtype=np.int8 if w_dtype.startswith("int") else np.uint8))
    return one_op("fully_connected", [act("x", (1, 3), 0.1, 0, x_dtype), w, None],
                  act("y", (1, 2), 0.1, 0, "int4"), name="fc1")


def test_unsigned_weights_are_error_naming_layer():
    with pytest.raises(UnsupportedError, match="fc1.*weight 'w' must be a constant"):
        prepare_all(_fc("uint4", [[1, 2, 3], [4, 5, 6]]))


def test_weight_value_outside_its_dtype_is_error():
    with pytest.raises(UnsupportedError, match="fc1.*outside the int4 range"):
        prepare_all(_fc("int4", [[1, 2, 8], [0, 0, 0]]))


def test_sub_byte_add_with_broadcast_is_error():
    g = one_op("add", [act("a", (1, 4), 0.1, 0, "int4"), act("b", (1, 1), 0.1, 0, "int4")],
               act("y", (1, 4), 0.2, 0, "int4"), name="add1")
    with pytest.raises(UnsupportedError, match="add1.*does not broadcast"):
        prepare_all(g)


def test_sub_byte_pool_that_rescales_is_error():
    g = one_op("max_pool2d", [act("x", (1, 2, 2, 1), 0.1, 0, "int4")],
               act("y", (1, 1, 1, 1), 0.2, 0, "int4"), name="mp1", kernel=(2, 2))
    with pytest.raises(UnsupportedError, match="mp1.*quantization differ"):
        prepare_all(g)


def test_int32_output_with_packed_weights_is_error():
    g = _fc("int4", [[1, 2, 3], [4, 5, 6]])
    y = Tensor("y", (1, 2), "int32")
    g.tensors["y"] = y
    with pytest.raises(UnsupportedError, match="fc1.*tensor 'y' is int32"):
        prepare_all(g)
