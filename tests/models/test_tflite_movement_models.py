"""Whole models of TFLite Micro's data-movement builtins, written with the tests'
TFLiteBuilder (each operator as TFLite stores it: masks, split counts, block sizes),
compiled by ``tinydeploy.compile`` and validated bit for bit against TFLite Micro under
ASan/UBSan: the frontend's index resolution is what these test."""

from __future__ import annotations

import pytest

import tinydeploy
from tests.tflite_writer import TFLiteBuilder
from tinydeploy.ir.graph import QuantParams

pytestmark = pytest.mark.cc


def q(dtype: str) -> QuantParams:
    return QuantParams.make(0.02, 3 if dtype == "int8" else 0)


def validate(tmp_path, w: TFLiteBuilder, ins: list[int], outs: list[int], name: str):
    model = tmp_path / f"{name}.tflite"
    model.write_bytes(w.finish(ins, outs))
    proj = tinydeploy.compile(model, tmp_path / name)
    v = proj.validate(n=4, sanitize=True)
    assert v.ok and v.c_vs_reference_max_lsb == 0, v.messages
    return proj


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_strided_slices_with_masks_and_negative_strides(tmp_path, dtype):
    w = TFLiteBuilder()
    x = w.tensor("x", (2, 7, 6, 5), dtype, q(dtype))
    cases = [  # begin, end, strides, begin_mask, end_mask, shrink_mask, output shape
        ([0, 1, 0, 0], [2, 7, 6, 5], [1, 2, 1, 1], 0, 0, 0, (2, 3, 6, 5)),
        ([1, -2, 5, 0], [2, 0, 0, 5], [1, -1, -2, 2], 0, 0, 1, (5, 3, 3)),
        ([0, 0, 1, 3], [0, 0, 4, 0], [1, 3, 1, -1], 3, 11, 0, (2, 3, 3, 4)),
        ([-1, 2, -9, 1], [9, 3, 9, 2], [1, 1, 1, 1], 0, 0, 10, (1, 6)),
    ]
    outs = []
    for k, (b, e, s, bm, em, sm, shape) in enumerate(cases):
        y = w.tensor(f"y{k}", shape, dtype, q(dtype))
        w.op("STRIDED_SLICE", [x, w.const("b", b), w.const("e", e), w.const("s", s)], [y],
             ("StridedSliceOptions", {"BeginMask": bm, "EndMask": em, "ShrinkAxisMask": sm}))
        outs.append(y)
    validate(tmp_path, w, [x], outs, f"strided_{dtype}")


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_split_split_v_and_slice_then_concat(tmp_path, dtype):
    w = TFLiteBuilder()
    x = w.tensor("x", (1, 4, 6, 9), dtype, q(dtype))
    parts = [w.tensor(f"p{k}", (1, 4, 6, 3), dtype, q(dtype)) for k in range(3)]
    w.op("SPLIT", [w.const("axis", 3), x], parts, ("SplitOptions", {"NumSplits": 3}))
    v = [w.tensor(f"v{k}", (1, 4, n, 3), dtype, q(dtype)) for k, n in enumerate((1, 3, 2))]
    w.op("SPLIT_V", [parts[1], w.const("sizes", [1, -1, 2]), w.const("ax", 2)], v,
         ("SplitVOptions", {"NumSplits": 3}))
    s = w.tensor("s", (1, 2, 6, 2), dtype, q(dtype))
    w.op("SLICE", [parts[2], w.const("begin", [0, 1, 0, 1]), w.const("size", [-1, 2, 6, -1])],
         [s])
    y = w.tensor("y", (1, 4, 6, 6), dtype, q(dtype))
    w.op("CONCATENATION", [parts[0], parts[1]], [y],
         ("ConcatenationOptions", {"Axis": 3}))
    validate(tmp_path, w, [x], [y, v[1], s], f"split_{dtype}")


def test_depth_to_space_space_to_depth_and_gather(tmp_path):
    w = TFLiteBuilder()
    x = w.tensor("x", (1, 3, 4, 12), "int8", q("int8"))
    d = w.tensor("d", (1, 6, 8, 3), "int8", q("int8"))
    w.op("DEPTH_TO_SPACE", [x], [d], ("DepthToSpaceOptions", {"BlockSize": 2}))
    s = w.tensor("s", (1, 3, 4, 12), "int8", q("int8"))
    w.op("SPACE_TO_DEPTH", [d], [s], ("SpaceToDepthOptions", {"BlockSize": 2}))
    g = w.tensor("g", (1, 5, 4, 12), "int8", q("int8"))
    w.op("GATHER", [s, w.const("idx", [2, 0, 0, 1, 2])], [g], ("GatherOptions", {"Axis": 1}))
    validate(tmp_path, w, [x], [d, g], "d2s")


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_resize_nearest_neighbor_all_modes(tmp_path, dtype):
    w = TFLiteBuilder()
    x = w.tensor("x", (1, 3, 5, 2), dtype, q(dtype))
    outs = []
    for k, (shape, ac, hp) in enumerate([((6, 10), False, False), ((7, 4), True, False),
                                         ((5, 9), False, True), ((2, 3), False, False)]):
        y = w.tensor(f"y{k}", (1, *shape, 2), dtype, q(dtype))
        w.op("RESIZE_NEAREST_NEIGHBOR", [x, w.const("size", list(shape))], [y],
             ("ResizeNearestNeighborOptions", {"AlignCorners": ac, "HalfPixelCenters": hp}))
        outs.append(y)
    validate(tmp_path, w, [x], outs, f"resize_{dtype}")
