"""The public Python API: compile a model into a C project, load a compiled project, and
check, report and profile it. The command line (:mod:`tinydeploy.cli`) is a thin layer
over these calls.

    import tinydeploy
    proj = tinydeploy.compile("kws.tflite", "out/kws", kernels="opt")
    assert proj.validate(n=20).ok              # cc build, seeded inputs, vs TFLM + golden
    proj.write_html("kws.html")
    proj = tinydeploy.load_project("out/kws")  # later: the same project, same options
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from tinydeploy import report
from tinydeploy.check import rv32
from tinydeploy.check.goldens import GoldenCheck
from tinydeploy.check.validate import Validation, validate, validate_golden
from tinydeploy.compiler import compile_model
from tinydeploy.options import CompileOptions, _shape_specs
from tinydeploy.project import CompiledProject, read_project


class Project(CompiledProject):
    """A compiled project folder: its manifest, model, options and the compilation.

    ``path`` is the folder, ``prefix`` the C prefix, ``options`` the
    :class:`~tinydeploy.options.CompileOptions` it was compiled with, ``lowered`` the
    compilation (graph, kernel arguments, memory plan, tile plan)."""

    def validate(self, n: int = 20, seed: int = 0, inputs=None, npy: list[str] | None = None,
                 sanitize: bool = False, on: str = "host", tolerance: float | None = None,
                 timeout: float | None = None, progress=None,
                 bounds: bool = False) -> Validation:
        """Build with ``cc`` (or for QEMU rv32imc with ``on="qemu"``), run ``n`` seeded
        random inputs (or exactly ``inputs``: a list of records, one array per graph input)
        and compare the outputs with the numpy golden and the reference interpreter.
        ``bounds``: the bounds-checking build (every kernel on exact-size heap copies of
        its planned buffers, under ASan/UBSan: ``make bounds``)."""
        return validate(self, n=n, seed=seed, npy=npy, sanitize=sanitize,
                        tolerance=tolerance, progress=progress, on=on, timeout=timeout,
                        records=inputs, bounds=bounds)

    def validate_golden(self, folder: str | Path, sanitize: bool = False) -> GoldenCheck:
        """Run a DORY/Deeploy golden folder's inputs and compare layer by layer."""
        return validate_golden(self, folder, sanitize=sanitize)

    def profile(self, n: int = 1, seed: int = 0, timeout: float | None = None,
                progress=None) -> dict:
        """Exact instructions per layer on QEMU rv32imc (``board="qemu-rv32"`` projects)."""
        return rv32.profile(self, n=n, seed=seed, timeout=timeout, progress=progress)

    def report(self) -> dict:
        """The report as a JSON-ready dict (layers, totals, tiles for tiled targets)."""
        return report.report_dict(self.lowered)

    def print_report(self, console=None) -> None:
        report.print_report(self.lowered, console)

    def plot(self, path: str | Path) -> None:
        """Memory over time and work per layer as a .png/.svg."""
        report.plot_report(self.lowered, str(path))

    def write_html(self, path: str | Path, profile: dict | None = None) -> None:
        """One self-contained HTML page: tables and plots (and a profile, if given)."""
        report.write_html(self.lowered, path, profile=profile)


def _project(cp: CompiledProject) -> Project:
    return Project(**{f.name: getattr(cp, f.name) for f in fields(cp)})


def compile(model: str | Path, out_dir: str | Path, *,  # noqa: A001 - the API's verb
            target: str = "host", board: str = "host", kernels: str | None = None,
            name: str | None = None, io_layout: str = "source",
            input_type: str | None = None, output_tensors=(), input_shapes=(),
            max_context: int | None = None, harts: int = 1, stream: bool = False) -> Project:
    """Compile ``model`` (.tflite or .onnx) into a C project in ``out_dir`` (replaced).

    See :class:`~tinydeploy.options.CompileOptions` for the options. Raises
    :class:`~tinydeploy.errors.TinyDeployError` (naming file, node and reason) on bad
    input; nothing is written then."""
    opts = CompileOptions(target=target, board=board, kernels=kernels, name=name,
                          io_layout=io_layout, input_type=input_type,
                          output_tensors=tuple(output_tensors or ()),
                          input_shapes=_shape_specs(input_shapes), max_context=max_context,
                          harts=harts, stream=stream)
    low = compile_model(model, out_dir, opts)
    proj = _project(read_project(out_dir))
    proj._lowered = low
    return proj


def load_project(path: str | Path, model: str | Path | None = None) -> Project:
    """A compiled project folder, with the model and every option it was compiled with
    (``model`` overrides where the model file is, if the folders were moved apart)."""
    return _project(read_project(path, model))
