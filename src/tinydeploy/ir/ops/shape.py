"""Op kinds that move bytes of any element type without changing them (integer
transformers: attention heads, KV caches, token selection)."""

from __future__ import annotations

from tinydeploy.ir.ops import OpDef, register

register(OpDef("slice", ("x",),
               {"starts": "first index per axis (non-negative, in range)",
                "steps": "step per axis (non-zero; negative walks backwards)"},
               doc="y[i_0, .., i_n] = x[starts_0 + i_0 * steps_0, ..]: ONNX Slice with the "
                   "ends resolved into the output shape"))
register(OpDef("gather", ("x",), {"axis": "axis", "indices": "constant indices (in range)"},
               doc="y = take(x, indices, axis): ONNX Gather with constant indices"))
register(OpDef("kv_append", ("new",),
               {"axis": "the cache's time axis", "at": "row where the new rows go (the "
                "tokens already cached)"},
               doc="write the new rows into a KV cache held across calls (the op's output, "
                   "a state tensor with room for the maximum context along axis); the rows "
                   "before 'at' are kept"))
register(OpDef("insert", ("base", "src"),
               {"starts": "index of src[0, .., 0] in the output, per axis"},
               doc="y = base with src written at starts: assembles a tensor block by block, "
                   "e.g. the heads of depth-first attention (passes/depth_first.py); may "
                   "run in place of base"))
