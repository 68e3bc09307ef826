"""The C of a decode loop (:mod:`tinydeploy.decode`): the cache length, the arguments that
follow it, ``<prefix>_reset``, ``<prefix>_step`` (the run function of one token),
``<prefix>_kv_load`` and the header's declarations. A hook of :func:`~.emit.emit_project`:
it marks the patched args structs and arrays non-const, sets the byte counts of inputs
that follow the context, and returns the template snippets."""

from __future__ import annotations

from tinydeploy.codegen.cproject import Project
from tinydeploy.decode import DecodePlan


def decode_context(proj: Project, low) -> dict:
    """The template context of ``low`` (a Lowered with a decode plan)."""
    graph, dp, offsets = low.graph, low.decode, low.memory.offsets
    layers = {l.name: l for l in proj.layers}
    args = {a.name: a for a in proj.args}
    arrays = {a.name: a for a in proj.arrays}
    lines = []
    for patch in dp.patches:
        layer = layers.get(patch.op)
        if layer is None or layer.args is None or patch.index == -1:
            continue
        struct = args[layer.args]
        members = dict(struct.members)
        if patch.member not in members:          # checked, not emitted (rq_size)
            continue
        value = f"{patch.base} + {patch.slope} * n" if patch.slope else str(patch.base)
        if patch.index is None:
            struct.mutable = True
            lines.append(f"    {struct.name}.{patch.member} = {value};")
        else:
            arr = arrays[members[patch.member]]
            arr.mutable = True
            lines.append(f"    {arr.name}[{patch.index}] = {value};")
    for io in proj.inputs:
        if io.tensor in dp.input_bytes:
            base, slope = dp.input_bytes[io.tensor]
            io.copy = f"(size_t)({base} + {slope} * td_len)"
    rows = max(int(c["rows"]) for c in dp.caches)
    n = dp.max_context
    state = "\n".join([
        "/* ---- decode loop: the tokens in the KV caches, and the arguments that follow",
        " * them (set before every step) ---- */",
        "static int32_t td_len;",
        "",
        "static void td_patch(int32_t n)",
        "{",
        *(lines or ["    (void)n;"]),
        "}"])
    prologue = "\n".join([f"    if (td_len + {rows} > {n}) return -1;   /* the context is full */",
                          "    td_patch(td_len);"])
    epilogue = f"    td_len += {rows};"
    return {"decode": {"entry": "step", "state": state, "prologue": prologue,
                       "epilogue": epilogue, "api": _api(proj, graph, dp, offsets),
                       "header": _header(proj, dp)}}


def _kv(graph, dp: DecodePlan, offsets: dict) -> list[tuple[dict, object, int, int, int]]:
    """(cache, state tensor, outer, row bytes, arena offset) of every cache."""
    out = []
    for c in dp.caches:
        t = graph.t(c["state"])
        axis = int(c["axis"])
        outer = 1
        for d in t.shape[:axis]:
            outer *= int(d)
        inner = t.nbytes // (outer * int(t.shape[axis]))
        out.append((c, t, outer, inner, offsets[c["state"]]))
    return out


def _api(proj: Project, graph, dp: DecodePlan, offsets: dict) -> str:
    p, n = proj.prefix, dp.max_context
    loads = []
    for k, (c, t, outer, row, off) in enumerate(_kv(graph, dp, offsets)):
        loads += [f"    for (int32_t o = 0; o < {outer}; ++o) {{",
                  f"        memcpy(td_arena + {off} + (size_t)o * {n * row},",
                  f"               (const uint8_t *)kv[{k}] + (size_t)o * (size_t)length * "
                  f"{row}, (size_t)length * {row});",
                  "    }"]
    return "\n".join([
        "",
        f"int {p}_reset(void)",
        "{",
        "    td_len = 0;",
        "    return 0;",
        "}",
        "",
        f"int32_t {p}_context(void)",
        "{",
        "    return td_len;",
        "}",
        "",
        f"int {p}_kv_load(int32_t length, const void *const *kv)",
        "{",
        f"    if (length < 0 || length > {n - max(int(c['rows']) for c in dp.caches)}) "
        "return -1;",
        *loads,
        "    td_len = length;",
        "    return 0;",
        "}"])


def _header(proj: Project, dp: DecodePlan) -> str:
    p, P = proj.prefix, proj.prefix.upper()
    ins = "".join(f"const {io.ctype} *{io.name}, " for io in proj.inputs)
    outs = ", ".join(f"{io.ctype} *{io.name}" for io in proj.outputs)
    follow = [io.name for io in proj.inputs if io.tensor in dp.input_bytes]
    note = (f"\n * Input(s) {', '.join(follow)} hold as many values as the context after the "
            "step\n * (context + 1 for one new token); the _SIZE macros give the most.") \
        if follow else ""
    return "\n".join([
        f"/* A decode loop: the KV caches of {len(dp.caches)} attention layers live in the "
        "arena,",
        f" * {P}_KV_BYTES bytes, for up to {P}_MAX_CONTEXT tokens. {p}_reset() empties "
        "them;",
        f" * {p}_step(...) runs one step on the token's inputs, appends its key/value rows "
        "to the",
        " * caches in place and writes the output(s); it returns -1 (and does nothing) when "
        "the",
        f" * context is full. {p}_kv_load(length, kv) fills the caches with `length` tokens "
        "given",
        " * as the one-step graph takes them (kv[i]: cache input i, ONNX layout)."
        f"{note} */",
        f"#define {P}_MAX_CONTEXT {dp.max_context}",
        f"#define {P}_KV_BYTES {dp.kv_bytes}",
        f"#define {P}_KV_CACHES {len(dp.caches)}",
        "",
        f"int {p}_reset(void);",
        f"int {p}_step({ins}{outs});",
        f"int32_t {p}_context(void);",
        f"int {p}_kv_load(int32_t length, const void *const *kv);",
    ])
