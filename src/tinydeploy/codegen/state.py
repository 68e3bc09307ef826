"""The C of a network with state (recurrent layers: an LSTM's hidden and cell state, an
SVDF's memory; the noise estimate of the signal library's spectral subtraction; the
receptive-field histories of a temporal conv net compiled with ``--stream``,
passes/streaming.py: ``graph.meta["state"]`` outside a decode loop): the state tensors
live in the
arena the network owns, planned for the whole run (memory/lifetimes.py), so they keep their
values from one ``<prefix>_run`` call to the next; ``<prefix>_reset()`` sets them to the values
the model starts from (TFLite Micro's ResetVariableTensors: an int8 tensor at its zero
point, others 0), and the first run resets them itself. A hook of
:func:`~.emit.emit_project`, through the same template slots as a decode loop
(:mod:`.decode`) with the ordinary entry point ``run``."""

from __future__ import annotations

import numpy as np

from tinydeploy.codegen.cformat import c_comment
from tinydeploy.codegen.cproject import Project
from tinydeploy.errors import TinyDeployError
from tinydeploy.quant.execute import initial_state


def state_bytes(low) -> int:
    g = low.graph
    return int(sum(g.t(n).nbytes for n in g.meta.get("state", ())))


def state_context(proj: Project, low) -> dict:
    g, offsets, p = low.graph, low.memory.offsets, proj.prefix
    start = initial_state(g)
    fills = []
    for n in g.meta["state"]:
        t = g.t(n)
        raw = np.ascontiguousarray(start[n], dtype=t.np_dtype).tobytes()
        if len(set(raw)) > 1:
            raise TinyDeployError(f"the initial value of state tensor '{n}' is not one "
                                  "repeated byte", file=g.source or None)
        byte = raw[0] if raw else 0
        fills.append(f"    memset(td_arena + {offsets[n]}, {byte}, {t.nbytes});   "
                     f"/* '{c_comment(n)}' */")
    nbytes = state_bytes(low)
    P = p.upper()
    ins = "".join(f"const {io.ctype} *{io.name}, " for io in proj.inputs)
    outs = ", ".join(f"{io.ctype} *{io.name}" for io in proj.outputs)
    header = "\n".join([
        f"/* A network with state: {len(g.meta['state'])} tensors, {P}_STATE_BYTES bytes of "
        "the arena,",
        f" * kept from one {p}_run() to the next (an LSTM's hidden and cell state, an SVDF's"
        "\n * memory, a spectral subtraction's noise estimate, the histories of streamed"
        "\n * causal convolutions)."
        f"\n * {p}_run(...) runs one call on the input(s), updating the state, and writes the",
        f" * output(s); returns 0. {p}_reset() sets the state to its initial value (the "
        "first",
        " * run does it itself). Buffers belong to the caller and are only read/written "
        "during\n * the call. */",
        f"#define {P}_STATE_BYTES {nbytes}",
        "",
        f"int {p}_run({ins}{outs});",
        f"int {p}_reset(void);"])
    api = "\n".join([
        "",
        f"int {p}_reset(void)",
        "{",
        *fills,
        "    td_state_ready = 1;",
        "    return 0;",
        "}"])
    state = "\n".join([
        "/* ---- state: in the arena across calls; set by the first run or "
        f"{p}_reset() ---- */",
        "static int td_state_ready;",
        f"int {p}_reset(void);"])
    return {"decode": {"entry": "run", "state": state,
                       "prologue": f"    if (!td_state_ready) (void){p}_reset();",
                       "epilogue": "", "api": api, "header": header}}
