"""Per-layer bits config: parsing, pattern resolution, errors naming the field."""

from __future__ import annotations

import json

import pytest

from tinydeploy.errors import TinyDeployError
from tinydeploy.quantize.bits import LayerBits, load_bits, parse_bits

LAYERS = [("0_CONV_2D", "conv_out"), ("1_DEPTHWISE_CONV_2D", "dw_out"),
          ("2_FULLY_CONNECTED", "logits")]


def test_no_config_means_8_bit_everywhere():
    bits = load_bits(None).resolve(LAYERS)
    assert set(bits.values()) == {LayerBits(8, 8)}


def test_toml_patterns_apply_in_order_and_later_wins(tmp_path):
    p = tmp_path / "bits.toml"
    p.write_text('[default]\nactivations = 8\n\n[layers."*CONV*"]\nweights = 4\n\n'
                 '[layers."1_DEPTHWISE_CONV_2D"]\nweights = 2\nactivations = 4\n')
    bits = load_bits(str(p)).resolve(LAYERS)
    assert bits["0_CONV_2D"] == LayerBits(4, 8)
    assert bits["1_DEPTHWISE_CONV_2D"] == LayerBits(2, 4)
    assert bits["2_FULLY_CONNECTED"] == LayerBits(8, 8)


def test_json_pattern_may_match_the_output_tensor_name(tmp_path):
    p = tmp_path / "bits.json"
    p.write_text(json.dumps({"layers": {"logits": {"activations": 4}}}))
    assert load_bits(str(p)).resolve(LAYERS)["2_FULLY_CONNECTED"] == LayerBits(8, 4)


def test_a_plain_width_sets_every_layer():
    assert set(load_bits("4").resolve(LAYERS).values()) == {LayerBits(4, 4)}


@pytest.mark.parametrize("data,field", [
    ({"layers": {"*": {"weights": 3}}}, "layers.*.weights"),
    ({"default": {"activations": 16}}, "default.activations"),
    ({"default": {"weigths": 4}}, "default.weigths"),
    ({"defaults": {}}, "defaults"),
    ({"layers": {"*": 4}}, "layers.*"),
    ({"layers": {"*": {"weights": True}}}, "layers.*.weights"),
])
def test_invalid_config_error_names_the_field(data, field):
    with pytest.raises(TinyDeployError, match=f"'{field}'"):
        parse_bits(data)


def test_pattern_matching_no_layer_is_an_error():
    cfg = parse_bits({"layers": {"*conv_typo*": {"weights": 4}}})
    with pytest.raises(TinyDeployError, match="'\\*conv_typo\\*' matches no layer"):
        cfg.resolve(LAYERS)


@pytest.mark.parametrize("name,text,msg", [
    ("bits.toml", "[default\nweights = 4", "not valid TOML"),
    ("bits.json", "{", "not valid JSON"),
    ("bits.yaml", "weights: 4", ".json or .toml"),
])
def test_unreadable_config_file_is_a_one_line_error(tmp_path, name, text, msg):
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(TinyDeployError, match=msg) as e:
        load_bits(str(p))
    assert "\n" not in str(e.value)


def test_bad_plain_width_is_an_error():
    with pytest.raises(TinyDeployError, match="not one of 2, 4, 8"):
        load_bits("16")
