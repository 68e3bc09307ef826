"""``write_html``: one self-contained, deterministic page; model strings escaped."""

from __future__ import annotations

import dataclasses
import html
import re
from html.parser import HTMLParser

import pytest

from tests.conftest import model_path
from tinydeploy.compiler import build
from tinydeploy.options import CompileOptions
from tinydeploy.report import layers, tiled
from tinydeploy.report.html import render_html, write_html

HOSTILE = "<script>x</script>$\\\\ & \"q\" 'a'"
HOSTILE_GRAPH = "<script>alert(1)</script>$x$"


def _build(target: str):
    return build(model_path("kws_dscnn_int8.tflite"), CompileOptions(target=target))


@pytest.fixture(scope="module", params=["host", "gap8"])
def low(request):
    return _build(request.param)


def _write(low, tmp_path, name="page.html", **kw) -> tuple[str, bytes]:
    p = tmp_path / name
    write_html(low, p, **kw)
    data = p.read_bytes()
    return data.decode("utf-8"), data


def _images(page: str) -> list[str]:
    return re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p",
                "div", "span", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
                "figure", "img", "figcaption", "ul", "li", "footer"}


def _self_contained(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert "@import" not in page and "url(" not in page
    parser = _Tags()
    parser.feed(page)
    assert set(parser.tags) <= ALLOWED_TAGS, set(parser.tags) - ALLOWED_TAGS
    names = {k for k, _ in parser.attrs}
    assert names <= {"lang", "charset", "name", "content", "class", "alt", "src"}, names
    srcs = [v for k, v in parser.attrs if k == "src"]
    assert len(srcs) >= 2
    assert all(v.startswith("data:image/png;base64,") for v in srcs)


def test_page_content(low, tmp_path):
    page, _ = _write(low, tmp_path)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for op in low.graph.ops:
        assert f">{html.escape(op.name)}<" in page, op.name
    d = layers.report_dict(low)
    assert f"{d['totals']['arena_bytes']:,} B" in page
    assert f"{d['totals']['macs']:,}" in page
    assert len(_images(page)) >= 2
    for b64 in _images(page):
        assert b64.startswith("iVBORw0KGgo")         # PNG signature
    _self_contained(page)
    assert "kws_dscnn_int8.tflite" in page
    assert low.options.kernels in page
    if low.tiled is None:
        assert "MODELED" not in page and len(_images(page)) == 2
    else:
        td = tiled.report_dict(low)
        assert "MODELED" in page and len(_images(page)) == 3
        t = td["totals"]
        assert f"{t['cycles']:,.0f}" in page and f"{t['fps']:,.1f}" in page
        assert f"{t['dma_lower_bound']:,} B" in page
        for lay in td["layers"]:
            if lay.get("tiled") is not False:
                assert f"{lay['l1_bytes']:,}" in page
                assert f"{lay['dma']['in_bytes']:,}" in page
        for lv in td["plan"]["levels"]:
            assert f"{lv['used']:,} of {lv['size']:,} B" in page


def test_page_is_deterministic(low, tmp_path):
    _, a = _write(low, tmp_path, "a.html")
    _, b = _write(low, tmp_path, "b.html")
    assert a == b


def test_same_page_from_a_new_compilation(tmp_path):
    _, a = _write(_build("host"), tmp_path, "a.html")
    _, b = _write(_build("host"), tmp_path, "b.html")
    assert a == b


def _rename(low, i: int, new: str) -> None:
    old = low.graph.ops[i].name
    low.graph.ops[i] = dataclasses.replace(low.graph.ops[i], name=new)
    if low.tiled is not None and old in low.tiled.layers:
        lays = {(new if k == old else k): (dataclasses.replace(v, op=new) if k == old else v)
                for k, v in low.tiled.layers.items()}
        low.tiled = dataclasses.replace(low.tiled, layers=lays)


@pytest.mark.parametrize("target", ["host", "gap8"])
def test_hostile_names_are_escaped(target, tmp_path):
    low = _build(target)
    low.graph.name = HOSTILE_GRAPH
    low.graph.meta = {**low.graph.meta, "dialect": "<b>nemo</b>",
                      "notes": ["<img src=x onerror=alert(1)>"]}
    _rename(low, 0, HOSTILE)
    _rename(low, len(low.graph.ops) - 1, "</td></tr></table><h1>x</h1>")
    page, _ = _write(low, tmp_path)
    for raw in (HOSTILE, HOSTILE_GRAPH, "<b>nemo</b>", "<img src=x", "<h1>x</h1>"):
        assert raw not in page
    assert html.escape(HOSTILE) in page
    assert html.escape(HOSTILE_GRAPH) in page
    assert html.escape("<img src=x onerror=alert(1)>") in page
    _self_contained(page)
    if target == "gap8":                         # the renamed layer still has its tiling
        row = page[page.index(html.escape(HOSTILE)):]
        assert "untiled" not in row[:row.index("</tr>")]
    _, again = _write(low, tmp_path, "again.html")
    assert again == page.encode("utf-8")


def test_profile_column(tmp_path):
    low = _build("host")
    rows = layers.layer_rows(low)
    prof = {"model": "kws", "runs": 1, "probe": 3,
            "layers": [{"index": r.index, "name": r.name, "kind": r.kind, "macs": r.macs,
                        "instructions": 1000 + 7 * r.index,
                        "instructions_per_mac": (1000 + 7 * r.index) / r.macs if r.macs
                        else None} for r in rows],
            "totals": {"macs": sum(r.macs for r in rows), "layer_instructions": 4242421,
                       "run_instructions": 4343431, "instructions_per_mac": 1.63,
                       "by_category": {}}}
    page = render_html(low, profile=prof)
    assert "MEASURED" in page and "4,343,431" in page and "4,242,421" in page
    assert "1,007" in page and "1,084" in page
    assert "instructions" not in render_html(low)


def test_plot_report_still_writes_files(low, tmp_path):
    mod = tiled if low.tiled is not None else layers
    for suffix in ("png", "svg"):
        p = tmp_path / f"plot.{suffix}"
        mod.plot_report(low, str(p))
        assert p.stat().st_size > 1000
    from tinydeploy import report
    report.plot_report(low, str(tmp_path / "top.png"))
    assert (tmp_path / "top.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
