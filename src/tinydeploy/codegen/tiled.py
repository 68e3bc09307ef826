"""Code generation of tiled layers: the tile schedule as data, the loop in C.

For every layer of a :class:`~tinydeploy.tiling.plan.TiledPlan`, this module turns
the plan into static const data - one ``td_tile_t`` per tile (output and input boxes,
kernel pads, which operands to load; :func:`tinydeploy.tiling.schedule.iter_tiles`, the
same walk that counts the DMA bytes), the L1 layout of every chunk, the L3 -> L2 copies
of streamed constants - and a ``td_tiled_layer_t`` descriptor that the generic runtime
(``runtime/tiled/td_tiled.c``) walks: double-buffered loads, per-core parts
(``td_split.h``), the reference kernel on L1 buffers, stores. The network calls
``td_tiled_run(&descriptor, in, in_b, out)`` instead of the kernel.

The HAL (``runtime/hal/td_hal.h``) is the only target-specific part; generated projects
build the host implementation (``td_hal_host.c``: memcpy DMA with counters, cores one
after another, L1 of exactly the target's size). Output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from tinydeploy.codegen.cformat import c_comment
from tinydeploy.tiling.plan import TiledLayer, TiledPlan
from tinydeploy.ir.graph import Graph
from tinydeploy.tiling.schedule import L1Buffer

TEMPLATES = Path(__file__).parent / "templates"
KINDS = {"conv2d": ("TD_TILED_CONV2D", "td_conv2d_s8"),
         "depthwise_conv2d": ("TD_TILED_DEPTHWISE_CONV2D", "td_depthwise_conv2d_s8"),
         "fully_connected": ("TD_TILED_FULLY_CONNECTED", "td_fully_connected_s8"),
         "avg_pool2d": ("TD_TILED_AVG_POOL2D", "td_avg_pool2d_s8"),
         "max_pool2d": ("TD_TILED_MAX_POOL2D", "td_max_pool2d_s8"),
         "add": ("TD_TILED_ADD", "td_add_s8"),
         "mul": ("TD_TILED_MUL", "td_mul_s8")}
# integer graphs' products with the requant fused in (tiling/problem.py: _rq_product)
RQ_KINDS = {"fully_connected": ("TD_TILED_FULLY_CONNECTED_RQ", "td_fully_connected_s8_rq"),
            "matmul": ("TD_TILED_MATMUL_RQ", "td_matmul_s8_rq")}
SOURCES = ["tiled/td_tiled.c", "tiled/td_tiled_kernels.c"]
HAL_SOURCE = "hal/td_hal_host.c"
BUFFERS = ("input", "input_b", "weight", "params", "output")


@dataclass
class CChunk:
    c_base: int
    in_c_base: int
    channels: int
    l3: str                    # name of its td_l3_copy_t array, or "NULL"
    l3_copies: list[dict]
    weight: str
    bias: str
    buffers: list[str]         # initializers of the five td_l1_buf_t, in BUFFERS order
    tiles: str
    rows: list[str]            # td_tile_t initializers


@dataclass
class CTiled:
    index: int
    name: str
    desc: str
    kind: str
    args: str
    fields: list[tuple[str, str]]
    chunks: list[CChunk] = field(default_factory=list)


def _buf(b: L1Buffer | None) -> str:
    return "{0, 0, 0}" if b is None else f"{{{b.offset}, {b.bytes}, {b.slots}}}"


def _tile_rows(chunk) -> list[str]:
    rows = []
    for t in chunk.solution.tiles():
        (a, b), (c, d), (e, f) = t.out
        (g, h), (i, j), (k, m) = t.inp
        load = (1 if t.load_input else 0) | (2 if t.load_weight else 0)
        rows.append(f"{{{a}, {b}, {c}, {d}, {e}, {f}, {g}, {h}, {i}, {j}, {k}, {m}, "
                    f"{t.pad[0]}, {t.pad[1]}, {load}}}")
    return rows


def _stage_ptrs(prefix: str, layer: TiledLayer, ch: int, has_bias: bool):
    stage = f"{prefix}_l2_stage.bytes"
    bias = f"(const int32_t *)(void *){stage}" if has_bias else "NULL"
    weight = f"(const int8_t *)({stage} + {4 * ch if has_bias else 0})"
    return weight, bias


def _l3_copies(prefix: str, layer: TiledLayer, c0: int, c1: int, w_arr: str, b_arr: str
               ) -> list[dict]:
    """L3 -> L2 copies of one chunk's bias (first) and weights into the staging buffer."""
    geom, ch = layer.geometry, c1 - c0
    stage = f"{prefix}_l2_stage.bytes"
    out = []
    if b_arr != "NULL":
        out.append({"dst": stage, "src": f"{b_arr} + {c0}", "box": f"{{{{1, 1, {4 * ch}}}, "
                    "{0, 0}, {0, 0}}"})
    dst = f"{stage} + {4 * ch if b_arr != 'NULL' else 0}"
    if layer.kind == "depthwise_conv2d":
        taps = geom.k_h * geom.k_w
        box = f"{{{{1, {taps}, {ch}}}, {{0, {geom.out_c}}}, {{0, {ch}}}}}"
        out.append({"dst": dst, "src": f"{w_arr} + {c0}", "box": box})
    else:
        nbytes = ch * geom.weight_bytes_per_oc
        out.append({"dst": dst, "src": f"{w_arr} + {c0 * geom.weight_bytes_per_oc}",
                    "box": f"{{{{1, 1, {nbytes}}}, {{0, 0}}, {{0, 0}}}}"})
    return out


def _requant_arrays(proj, args_name: str) -> tuple[str, str]:
    cargs = next(a for a in proj.args if a.name == args_name)
    members = dict(cargs.members)
    return members.get("out_mult", "NULL"), members.get("out_shift", "NULL")


def _c_layer(proj, clayer, layer: TiledLayer, streamed: bool) -> CTiled:
    geom = layer.geometry
    rq = 8 in geom.param_bytes
    kind, func = (RQ_KINDS if rq else KINDS)[layer.kind]
    if not clayer.func == func:
        raise AssertionError(f"{layer.op}: kernel {clayer.func}, the tiled runtime calls {func}")
    lname = f"{proj.prefix}_l{layer.index}"
    members = dict(next(a for a in proj.args if a.name == clayer.args).members)
    mult, shift = _requant_arrays(proj, clayer.args) if geom.param_bytes else ("NULL", "NULL")
    params = clayer.params
    w_arr = params[1] if geom.weight_bytes_per_oc and layer.kind != "matmul" else "NULL"
    taps = geom.k_h * geom.k_w if layer.kind == "depthwise_conv2d" else 0
    if layer.kind == "matmul" and str(members["b_n"]) == "1":
        taps = geom.in_c                  # B read as [K, N]: the tile's columns, K rows
    b_arr = params[2] if geom.weight_bytes_per_oc and len(params) > 3 else "NULL"
    fields = [("kind", kind), ("args", f"&{clayer.args}"), ("nb_cores", str(layer.cores)),
              ("split", str(layer.split)), ("l1_size", str(layer.l1_size)),
              ("n_inputs", str(geom.n_inputs)), ("in_w", str(geom.in_w)),
              ("in_c", str(geom.in_c)), ("out_w", str(geom.out_w)), ("out_c", str(geom.out_c)),
              ("c_step", str(geom.c_step)), ("w_per_oc", str(geom.weight_bytes_per_oc)),
              ("w_taps", str(taps)),
              ("mult", mult), ("shift", shift), ("n_chunks", str(len(layer.chunks))),
              ("chunks", f"{lname}_chunks")]
    if rq:                                # before n_chunks, chunks (the template's last)
        fields[-2:-2] = [(f"rq_{n}", members[f"rq_{n}"]) for n in ("mul", "add", "div")] \
            + [("batches", str(geom.batches))]
    ct = CTiled(layer.index, layer.op, f"{lname}_tiled", layer.kind, clayer.args, fields)
    for k, chunk in enumerate(layer.chunks):
        sol, ch = chunk.solution, chunk.c1 - chunk.c0
        if streamed:
            copies = _l3_copies(proj.prefix, layer, chunk.c0, chunk.c1, w_arr, b_arr)
            weight, bias = _stage_ptrs(proj.prefix, layer, ch, b_arr != "NULL")
        else:
            copies, weight, bias = [], w_arr, b_arr
        if not geom.weight_bytes_per_oc or layer.kind == "matmul":
            weight = "NULL"
        bufs = [_buf(sol.buffer(n)) for n in BUFFERS]
        ct.chunks.append(CChunk(chunk.c0, geom.input_channels(chunk.c0, chunk.c1)[0], ch,
                                f"{lname}_c{k}_l3" if copies else "NULL", copies, weight,
                                bias, bufs, f"{lname}_c{k}_tiles", _tile_rows(chunk)))
    return ct


def tiled_context(proj, g: Graph, plan: TiledPlan) -> dict:
    """Rewrite the tiled layers of ``proj`` to call the runtime; the templates' context.

    Returns ``{"tiled": {"data": <C text for network.c>, ...}}``; also adds the kernels
    the runtime links against to ``proj.kernels``.
    """
    layers = []
    for clayer in proj.layers:
        layer = plan.layers.get(clayer.name)
        if layer is None:
            continue
        streamed = any(c.l3_bytes for c in layer.chunks)
        ct = _c_layer(proj, clayer, layer, streamed)
        ins = clayer.params[:-1]
        in_b = ins[1] if layer.geometry.n_inputs == 2 or layer.kind == "matmul" else "NULL"
        clayer.func, clayer.args = "td_tiled_run", ct.desc
        clayer.params = [ins[0], in_b, clayer.params[-1]]
        layers.append(ct)
    for _, func in list(KINDS.values()) + list(RQ_KINDS.values()):
        if func not in proj.kernels:
            proj.kernels.append(func)
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["comment"] = c_comment
    data = env.get_template("tiled.c.j2").render(
        p=proj, layers=layers, stage_bytes=plan.stage_bytes, target=plan.target,
        n_layers=len(proj.layers))
    return {"tiled": {"data": data, "sources": SOURCES + [HAL_SOURCE], "hal": HAL_SOURCE,
                      "target": plan.target.name}}
