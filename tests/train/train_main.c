/* Runner of a generated training step, for the tests (tests/train, host ASan/UBSan builds)
 * and benchmarks/train_bench.py: the same C on the host and on QEMU rv32imafc
 * (qemu.build(..., main=this file)), so their outputs compare byte for byte. Built with -include p.h -DTD_P=p -DTD_PU=P; -DTD_NO_LOSS when the step
 * has no p_loss() (an ONNX Runtime training graph), -DTD_NO_RUN when p_run() is not
 * (input, output) inference.
 *
 * Usage: runner IN.bin OUT.bin STEPS LABELS
 * IN.bin: STEPS records of one input (P_INPUT0_BYTES) and LABELS int64 labels.
 * Each record: p_train_step(x, label), then p_loss() (the loss before that step's update).
 * OUT.bin: the STEPS losses (float; 0 without a loss), every trainable parameter's bytes
 * in order after the last step, then p_run()'s output on the first record's input.
 * In the profile build (-DTD_PROFILE, run under qemu -icount shift=0) it prints the
 * instructions between TD_RUN_BEGIN and TD_RUN_END of every call:
 *   td-train step S N      (one line per train step)
 *   td-train run N         (the inference after the steps) */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define FN(s) CAT(TD_P, s)
#define UP(s) CAT(TD_PU, s)

#ifdef TD_PROFILE
#define MARK() (td_prof_run)
#else
#define MARK() ((uint64_t)0)
#endif

static int write_all(FILE *f, const void *p, size_t n)
{
    return fwrite(p, 1, n, f) == n ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 5) return 2;
    const long steps = atol(argv[3]), labels = atol(argv[4]);
    const size_t rec = (size_t)UP(_INPUT0_BYTES) + (size_t)labels * sizeof(int64_t);
    FILE *fi = fopen(argv[1], "rb");
    if (!fi || steps < 1 || labels < 1) return 2;
    uint8_t *in = malloc(rec * (size_t)steps);
    float *loss = calloc((size_t)steps, sizeof(float));
    int64_t *label = malloc(sizeof(int64_t) * (size_t)labels);
    if (!in || !loss || !label || fread(in, 1, rec * (size_t)steps, fi) != rec * (size_t)steps)
        return 3;
    fclose(fi);
    for (long s = 0; s < steps; ++s) {
        const uint8_t *r = in + rec * (size_t)s;
        /* the input is copied too: the record's float part need not be aligned */
        float *x = malloc(UP(_INPUT0_BYTES));
        if (!x) return 3;
        memcpy(x, r, UP(_INPUT0_BYTES));
        memcpy(label, r + UP(_INPUT0_BYTES), sizeof(int64_t) * (size_t)labels);
        const uint64_t t0 = MARK();
        if (FN(_train_step)(x, label) != 0) return 4;
        const uint64_t t1 = MARK();
        (void)t0;
        (void)t1;
#ifdef TD_PROFILE
        printf("td-train step %ld %" PRIu64 "\n", s, t1 - t0);
#endif
#ifndef TD_NO_LOSS
        loss[s] = FN(_loss)();
#endif
        free(x);
    }
    FILE *fo = fopen(argv[2], "wb");
    if (!fo || write_all(fo, loss, sizeof(float) * (size_t)steps)) return 6;
    for (int32_t i = 0; i < UP(_TRAINABLE_COUNT); ++i) {
        int32_t n = 0;
        const void *p = FN(_trainable)(i, &n);
        if (!p || write_all(fo, p, (size_t)n)) return 7;
    }
    if (FN(_trainable)(UP(_TRAINABLE_COUNT), NULL) != NULL) return 8;
#ifndef TD_NO_RUN
    float *x = malloc(UP(_INPUT0_BYTES));
    float *y = malloc(UP(_OUTPUT0_BYTES));
    if (!x || !y) return 3;
    memcpy(x, in, UP(_INPUT0_BYTES));
    const uint64_t r0 = MARK();
    if (FN(_run)(x, y) != 0) return 5;
    const uint64_t r1 = MARK();
    (void)r0;
    (void)r1;
#ifdef TD_PROFILE
    printf("td-train run %" PRIu64 "\n", r1 - r0);
#endif
    if (write_all(fo, y, UP(_OUTPUT0_BYTES))) return 9;
    free(x);
    free(y);
#endif
    if (fclose(fo)) return 9;
    free(in);
    free(label);
    free(loss);
    return 0;
}
