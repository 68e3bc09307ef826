"""The wake-word pipeline in generated C: micro_speech's audio preprocessor (TFLM's signal
ops, built by tests/signal/micro_speech.py) and a keyword-spotting CNN, two generated
projects linked into one ASan/UBSan program with a user main that turns each one-second
clip into 49 x 40 features (the preprocessor's state carried from frame to frame, reset
between clips) and classifies them. Every feature and every score equals TFLite Micro's
(a fresh interpreter per clip, the same frames) on 10 seeded clips."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from tflite_micro import runtime

import tinydeploy
from tests.codegen.test_integration import CFLAGS, c_sources, cc
from tests.signal import micro_speech as ms
from tinydeploy.check.hostrun import SANITIZE

pytestmark = pytest.mark.cc

CLIPS = 10

MAIN = """#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pre/{pre}.h"
#include "kws/{kws}.h"

#define CLIPS {clips}
#define FRAMES {frames}
#define SAMPLES {samples}

int main(void)
{{
    static int16_t audio[CLIPS][SAMPLES];
    static int8_t features[FRAMES * {PRE}_OUTPUT0_SIZE];
    static uint8_t scores[{KWS}_OUTPUT0_BYTES];
    FILE *in = fopen("clips.bin", "rb");
    FILE *out = fopen("result.bin", "wb");
    if (!in || !out || fread(audio, sizeof audio, 1, in) != 1) return 2;
    for (int c = 0; c < CLIPS; ++c) {{
        if ({pre}_reset() != 0) return 3;
        for (int f = 0; f < FRAMES; ++f)
            if ({pre}_run(&audio[c][f * {stride}], &features[f * {PRE}_OUTPUT0_SIZE]) != 0)
                return 4;
        if ({kws}_run(features, (void *)scores) != 0) return 5;
        if (fwrite(features, sizeof features, 1, out) != 1) return 6;
        if (fwrite(scores, sizeof scores, 1, out) != 1) return 6;
    }}
    fclose(in);
    fclose(out);
    return 0;
}}
"""


def _tflm_pipeline(pre: bytes, kws: bytes, clip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = runtime.Interpreter.from_bytes(pre, arena_size=200_000)
    feats = []
    for frame in ms.frames(clip):
        p.set_input(frame, 0)
        p.invoke()
        feats.append(np.array(p.get_output(0)).reshape(-1))
    x = np.concatenate(feats).astype(np.int8)
    k = runtime.Interpreter.from_bytes(kws, arena_size=200_000)
    k.set_input(x.reshape(1, ms.FRAMES, ms.CHANNELS, 1), 0)
    k.invoke()
    return x, np.array(k.get_output(0)).reshape(-1)


def test_audio_to_keyword_in_one_c_program_equals_tflm(tmp_path):
    pre_m, kws_m = ms.preprocessor_model(), ms.kws_model()
    (tmp_path / "audio_pre.tflite").write_bytes(pre_m)
    (tmp_path / "kws_tiny.tflite").write_bytes(kws_m)
    pre = tinydeploy.compile(tmp_path / "audio_pre.tflite", tmp_path / "pre")
    kws = tinydeploy.compile(tmp_path / "kws_tiny.tflite", tmp_path / "kws")
    clips = [ms.seeded_clip(s) for s in range(CLIPS)]
    (tmp_path / "clips.bin").write_bytes(b"".join(c.tobytes() for c in clips))
    (tmp_path / "main.c").write_text(MAIN.format(
        pre=pre.prefix, PRE=pre.prefix.upper(), kws=kws.prefix, KWS=kws.prefix.upper(),
        clips=CLIPS, frames=ms.FRAMES, samples=ms.SAMPLE_RATE, stride=ms.STRIDE))
    srcs = c_sources(pre.path) + c_sources(kws.path)
    cc([*CFLAGS, *SANITIZE.split(), "-o", "pipeline", "main.c", *srcs, "-lm"], tmp_path)
    res = subprocess.run(["./pipeline"], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    raw = (tmp_path / "result.bin").read_bytes()
    n_feat, n_cls = ms.FRAMES * ms.CHANNELS, len(raw) // CLIPS - ms.FRAMES * ms.CHANNELS
    spread = set()
    for c, clip in enumerate(clips):
        rec = raw[c * (n_feat + n_cls):(c + 1) * (n_feat + n_cls)]
        feats, scores = np.frombuffer(rec[:n_feat], np.int8), np.frombuffer(rec[n_feat:], np.int8)
        want_f, want_s = _tflm_pipeline(pre_m, kws_m, clip)
        diff = np.flatnonzero(feats != want_f)
        assert diff.size == 0, (f"clip {c}: feature {diff[0]} (frame {diff[0] // ms.CHANNELS})"
                                f" C {feats[diff[0]]} != TFLM {want_f[diff[0]]}")
        assert np.array_equal(scores, want_s.view(np.int8)), f"clip {c}: scores differ"
        spread.add(feats.tobytes())
        assert len(np.unique(feats)) > 20, f"clip {c}: features barely vary"
    assert len(spread) == CLIPS
