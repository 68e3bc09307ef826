"""Target files: bundled values, and one clear error per kind of bad field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tinydeploy.errors import TinyDeployError
from tinydeploy.targets import TARGET_DIR, list_targets, load_target, targets_table

GOOD = """\
name = "mini"
description = "a test target"

[cores]
count = 2
frequency_mhz = 50

[[memory]]
name = "L1"
size = 4096
bandwidth = 4.0
dma_setup = 10

[[memory]]
name = "L2"
size = 65536

[kernels]
conv = 1.0
pointwise = 1.0
depthwise = 0.5
fully_connected = 1.0
pool = 1.0
elementwise = 0.5
requant_cycles = 2.0
tile_overhead = 50
leftover_channel_penalty = 1
im2col = false
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "t.toml"
    p.write_text(text)
    return p


def _expect_error(tmp_path: Path, text: str, pattern: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises(TinyDeployError) as e:
        load_target(p)
    msg = str(e.value)
    assert str(p) in msg, msg
    assert re.search(pattern, msg), msg


def test_bundled_targets_are_listed_and_load():
    assert list_targets() == ["gap8", "gap9", "host", "siracusa", "stm32"]
    for name in list_targets():
        t = load_target(name)
        assert t.name == name
        assert t.source == str(TARGET_DIR / f"{name}.toml")


def test_bundled_values_match_the_issue():
    g8, g9, sir = load_target("gap8"), load_target("gap9"), load_target("siracusa")
    assert [(m.name, m.size) for m in g8.memory] == [("L1", 64 * 1024), ("L2", 512 * 1024),
                                                     ("L3", 8 * 1024 * 1024)]
    assert g8.cores == 8 and g8.l1.bandwidth == 8.0 and g8.memory[1].bandwidth == 1.0
    assert (g9.l1.size, g9.memory[1].size, g9.cores) == (128 * 1024, 1536 * 1024, 8)
    assert (sir.l1.size, sir.memory[1].size, sir.cores) == (256 * 1024, 2 * 1024 * 1024, 8)
    assert load_target("host").flat and load_target("stm32").flat
    assert load_target("stm32").cores == 1


def test_every_bundled_file_says_modeled_and_cites_sources():
    for name in ("gap8", "gap9", "siracusa", "stm32"):
        text = (TARGET_DIR / f"{name}.toml").read_text()
        assert "MODELED" in text and "modeled" in text
        assert "Sources" in text


def test_user_target_loads_from_a_path(tmp_path):
    t = load_target(_write(tmp_path, GOOD))
    assert t.name == "mini" and t.cores == 2 and t.frequency_mhz == 50.0
    assert t.memory[0].bandwidth == 4.0 and t.memory[1].bandwidth is None
    assert t.kernels.depthwise == 0.5 and t.kernels.im2col is False


def test_with_l1_size_changes_only_l1():
    t = load_target("gap8").with_l1_size(1024)
    assert t.l1.size == 1024 and t.memory[1:] == load_target("gap8").memory[1:]


@pytest.mark.parametrize("field,line", [
    ("cores.count", "count = 2\n"),
    ("kernels.conv", "conv = 1.0\n"),
    ("description", 'description = "a test target"\n'),
    ("memory\\[0\\].dma_setup", "dma_setup = 10\n"),
])
def test_missing_field_is_named(tmp_path, field, line):
    _expect_error(tmp_path, GOOD.replace(line, "", 1), rf"missing field '{field}'")


@pytest.mark.parametrize("old,new,field", [
    ("count = 2", 'count = "two"', "cores.count"),
    ("count = 2", "count = 2.5", "cores.count"),
    ("count = 2", "count = true", "cores.count"),
    ("size = 4096", 'size = "4k"', "memory\\[0\\].size"),
    ("conv = 1.0", 'conv = "fast"', "kernels.conv"),
    ("im2col = false", "im2col = 0", "kernels.im2col"),
    ('name = "mini"', "name = 3", "name"),
])
def test_wrong_type_is_named(tmp_path, old, new, field):
    _expect_error(tmp_path, GOOD.replace(old, new, 1), rf"field '{field}' must be")


@pytest.mark.parametrize("old,new,field", [
    ("size = 4096", "size = -4096", "memory\\[0\\].size"),
    ("size = 65536", "size = 0", "memory\\[1\\].size"),
    ("bandwidth = 4.0", "bandwidth = -1.0", "memory\\[0\\].bandwidth"),
    ("dma_setup = 10", "dma_setup = -1", "memory\\[0\\].dma_setup"),
    ("count = 2", "count = 0", "cores.count"),
    ("tile_overhead = 50", "tile_overhead = -5", "kernels.tile_overhead"),
])
def test_negative_or_zero_size_is_named(tmp_path, old, new, field):
    _expect_error(tmp_path, GOOD.replace(old, new, 1), rf"field '{field}' must be "
                                                       r"(positive|non-negative|at least 1)")


@pytest.mark.parametrize("old,new,key", [
    ("count = 2", "count = 2\nthreads = 4", "cores.threads"),
    ("size = 4096", "size = 4096\nlatency = 3", "memory\\[0\\].latency"),
    ("im2col = false", "im2col = false\nsimd = true", "kernels.simd"),
    ('name = "mini"', 'name = "mini"\nvendor = "x"', "vendor"),
])
def test_unknown_key_is_named(tmp_path, old, new, key):
    _expect_error(tmp_path, GOOD.replace(old, new, 1), rf"unknown key '{key}'")


def test_outermost_level_must_not_have_bandwidth(tmp_path):
    text = GOOD.replace("size = 65536", "size = 65536\nbandwidth = 1.0")
    _expect_error(tmp_path, text, r"'memory\[1\].bandwidth' is not allowed")


def test_duplicate_level_name_is_an_error(tmp_path):
    _expect_error(tmp_path, GOOD.replace('name = "L2"', 'name = "L1"'), r"appears twice")


def test_empty_memory_is_an_error(tmp_path):
    head, rest = GOOD.split("[cores]")
    cores = "[cores]" + rest.split("[[memory]]")[0]
    text = head + "memory = []\n" + cores + "[kernels]" + GOOD.split("[kernels]")[1]
    _expect_error(tmp_path, text, r"'memory' must be a non-empty array")


def test_invalid_toml_is_an_error(tmp_path):
    _expect_error(tmp_path, GOOD.replace("count = 2", "count = = 2"), r"invalid TOML")


def test_unknown_target_name_lists_the_available_ones():
    with pytest.raises(TinyDeployError, match=r"unknown target 'nope' \(available: gap8, gap9"):
        load_target("nope")


def test_missing_target_file_is_an_error(tmp_path):
    with pytest.raises(TinyDeployError, match="target file not found"):
        load_target(tmp_path / "absent.toml")


def test_targets_table_has_one_row_per_target():
    lines = targets_table().splitlines()
    assert lines[0].split()[:3] == ["target", "cores", "MHz"]
    assert [ln.split()[0] for ln in lines[1:]] == list_targets()
    assert "L1 64 KiB (8 B/cyc)" in lines[1]
