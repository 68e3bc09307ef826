"""Float model -> integer-deployable int8 model, through explicit stages (NEMO-style).

``driver.quantize_file`` is what ``tinydeploy quantize`` runs::

    load float graph        (float_graph: .tflite / .onnx, float32)
    -> deployable graph     (canonical: BatchNorm folded, activations fused)
    -> calibrate            (calibrate + observers: per-tensor activation ranges)
    -> plan                 (plan: int8 per-channel weights, int32 biases, scales)
    -> integer IR graph     (integer: what the C kernels run, via quant.execute.run_graph)
    -> ONNX QDQ file        (export_onnx), re-imported by our own ONNX frontend and checked
                            bit-exact against the integer graph before it is written.

The four stages (float, fake-quantized, quantized-deployable, integer-deployable) are
runnable on the same inputs (:mod:`stages`); :mod:`report` measures per-layer SQNR
between them. Per-layer bit widths come from :mod:`bits`.
"""
