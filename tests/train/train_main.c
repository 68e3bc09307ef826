/* Test runner of a generated training step (tests/train): built with -DTD_HEADER='"p.h"'
 * -DTD_P=p -DTD_PU=P. Usage: runner IN.bin OUT.bin STEPS LABELS.
 * IN.bin: STEPS records of one input (P_INPUT0_BYTES) and LABELS int64 labels.
 * Each record: p_train_step(x, label), then p_loss() (the loss before that step's update).
 * OUT.bin: the STEPS losses (float), every trainable parameter's bytes in order after the
 * last step, then p_run()'s output on the first record's input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include TD_HEADER

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define FN(s) CAT(TD_P, s)
#define UP(s) CAT(TD_PU, s)

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
    float *loss = malloc(sizeof(float) * (size_t)steps);
    uint8_t *out = malloc(UP(_OUTPUT0_BYTES));
    int64_t *label = malloc(sizeof(int64_t) * (size_t)labels);
    if (!in || !loss || !out || !label || fread(in, 1, rec * (size_t)steps, fi) != rec * (size_t)steps)
        return 3;
    fclose(fi);
    for (long s = 0; s < steps; ++s) {
        const uint8_t *r = in + rec * (size_t)s;
        memcpy(label, r + UP(_INPUT0_BYTES), sizeof(int64_t) * (size_t)labels);
        if (FN(_train_step)((const float *)r, label) != 0) return 4;
        loss[s] = FN(_loss)();
    }
    if (FN(_run)((const float *)in, (float *)out) != 0) return 5;
    FILE *fo = fopen(argv[2], "wb");
    if (!fo || write_all(fo, loss, sizeof(float) * (size_t)steps)) return 6;
    for (int32_t i = 0; i < UP(_TRAINABLE_COUNT); ++i) {
        int32_t n = 0;
        const void *p = FN(_trainable)(i, &n);
        if (!p || write_all(fo, p, (size_t)n)) return 7;
    }
    if (FN(_trainable)(UP(_TRAINABLE_COUNT), NULL) != NULL) return 8;
    if (write_all(fo, out, UP(_OUTPUT0_BYTES)) || fclose(fo)) return 9;
    free(in);
    free(label);
    free(loss);
    free(out);
    return 0;
}
