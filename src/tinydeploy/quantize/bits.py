"""Per-layer precision: how many bits each layer's weights and output activation get.

``--bits`` takes ``8`` (everything 8-bit, the default) or a JSON/TOML file::

    # bits.toml
    [default]
    weights = 8
    activations = 8

    [layers."*dw*"]            # fnmatch pattern on the layer (op) name or its output tensor
    weights = 4

    [layers."3_CONV_2D"]       # an exact name; later entries win over earlier ones
    weights = 4
    activations = 4

(JSON: the same tables as objects.) Allowed widths are :data:`ALLOWED`. A layer's
``weights`` apply to its weight tensor (conv, depthwise, fully connected), ``activations``
to the tensor it outputs. Every pattern must match at least one layer (a typo is an
error, not a silent no-op).

Activations stay 8-bit where the integer kernels need int8: the network inputs and
outputs and the tensors read or written by ops without sub-byte kernels (softmax, concat,
...; see ``precision.py``); ``tinydeploy quantize`` lists such requests. ``--bits auto``
(``search.py``) writes a file of this form with one exact entry per layer.
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tinydeploy.errors import TinyDeployError

ALLOWED = (2, 4, 8)
_FIELDS = ("weights", "activations")


@dataclass(frozen=True)
class LayerBits:
    weights: int = 8
    activations: int = 8


@dataclass(frozen=True)
class BitsConfig:
    default: LayerBits = LayerBits()
    rules: tuple[tuple[str, dict[str, int]], ...] = ()     # (pattern, partial override)
    source: str = "default (8-bit)"

    def resolve(self, layers: list[tuple[str, str]]) -> dict[str, LayerBits]:
        """Bits of each layer, given (op name, output tensor name) pairs, by op name.

        Raises TinyDeployError naming a pattern that matches no layer.
        """
        out = {name: self.default for name, _ in layers}
        for pattern, override in self.rules:
            hits = [name for name, tensor in layers
                    if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(tensor, pattern)]
            if not hits:
                raise TinyDeployError(f"bits config: layer pattern '{pattern}' matches no "
                                      "layer (layers are named like "
                                      f"'{layers[0][0] if layers else '?'}')", file=self.source)
            for name in hits:
                cur = out[name]
                out[name] = LayerBits(override.get("weights", cur.weights),
                                      override.get("activations", cur.activations))
        return out


def load_bits(spec: str | None) -> BitsConfig:
    """``None`` or ``"8"``: all 8-bit; ``"4"``/``"2"``: that width everywhere; else a file."""
    if spec is None:
        return BitsConfig()
    if spec.strip().isdigit():
        b = _width(int(spec), "--bits", "--bits")
        return BitsConfig(LayerBits(b, b), source=f"--bits {spec}")
    path = Path(spec)
    if path.suffix.lower() not in (".json", ".toml"):
        raise TinyDeployError("bits config must be a .json or .toml file, or a width "
                              f"({', '.join(map(str, ALLOWED))})", file=spec)
    try:
        text = path.read_text()
    except OSError as e:
        raise TinyDeployError(f"cannot read bits config: {e.strerror or e}", file=spec) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as e:
        raise TinyDeployError(f"bits config is not valid {path.suffix[1:].upper()}: "
                              f"{str(e).splitlines()[0]}", file=spec) from None
    return parse_bits(data, spec)


def parse_bits(data, source: str = "bits config") -> BitsConfig:
    """A :class:`BitsConfig` from parsed JSON/TOML; errors name the offending field."""
    if not isinstance(data, dict):
        raise TinyDeployError("bits config must be a table/object with 'default' and/or "
                              "'layers'", file=source)
    unknown = sorted(set(data) - {"default", "layers"})
    if unknown:
        raise TinyDeployError(f"bits config: unknown field '{unknown[0]}' (expected "
                              "'default' and/or 'layers')", file=source)
    d = _override(data.get("default", {}), "default", source)
    default = LayerBits(d.get("weights", 8), d.get("activations", 8))
    layers = data.get("layers", {})
    if not isinstance(layers, dict):
        raise TinyDeployError("bits config: field 'layers' must be a table of "
                              "pattern -> {weights, activations}", file=source)
    rules = tuple((str(p), _override(v, f"layers.{p}", source)) for p, v in layers.items())
    return BitsConfig(default, rules, source)


def _override(v, where: str, source: str) -> dict[str, int]:
    if not isinstance(v, dict):
        raise TinyDeployError(f"bits config: field '{where}' must be a table with "
                              "'weights' and/or 'activations'", file=source)
    bad = sorted(set(v) - set(_FIELDS))
    if bad:
        raise TinyDeployError(f"bits config: unknown field '{where}.{bad[0]}' (expected "
                              "'weights' or 'activations')", file=source)
    return {k: _width(v[k], f"{where}.{k}", source) for k in _FIELDS if k in v}


def _width(b, where: str, source: str) -> int:
    if isinstance(b, bool) or not isinstance(b, int) or b not in ALLOWED:
        raise TinyDeployError(f"bits config: field '{where}' = {b!r} is not one of "
                              f"{', '.join(map(str, ALLOWED))}", file=source)
    return b
