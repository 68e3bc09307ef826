/* opt_driver.c - runs the reference and the optimized conv/depthwise/fc kernels on cases
 * read from a file and writes both outputs, for tests/kernels/test_opt_kernels.py.
 *
 * Build: the reference kernels as they are, the optimized ones (kernels/opt/) with
 * -Dtd_conv2d_s8=td_conv2d_s8_opt etc., so both link into one program.
 * Usage: opt_driver CASES OUT. CASES is a sequence of little-endian int32 records:
 *   kind (0 conv, 1 depthwise, 2 fc), n_scalars, the args struct's int32 scalars in
 *   declaration order, then out_mult[C], out_shift[C], n_in, input bytes (padded to 4),
 *   n_w, weight bytes (padded to 4), has_bias, bias[C] (if has_bias), n_out.
 * OUT receives, per case, the reference output then the optimized output (n_out bytes
 * each). Exit status 0 on success.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "td_conv2d_s8.h"
#include "td_depthwise_conv2d_s8.h"
#include "td_fully_connected_s8.h"

void td_conv2d_s8_opt(const td_conv2d_s8_args_t *args, const int8_t *input,
                      const int8_t *weight, const int32_t *bias, int8_t *output);
void td_depthwise_conv2d_s8_opt(const td_depthwise_conv2d_s8_args_t *args,
                                const int8_t *input, const int8_t *weight,
                                const int32_t *bias, int8_t *output);
void td_fully_connected_s8_opt(const td_fully_connected_s8_args_t *args, const int8_t *input,
                               const int8_t *weight, const int32_t *bias, int8_t *output);

static FILE *g_in;

static int32_t rd(void)
{
    int32_t v;
    if (fread(&v, 4, 1, g_in) != 1) {
        fprintf(stderr, "opt_driver: truncated case file\n");
        exit(3);
    }
    return v;
}

static void *rd_block(int32_t *n_out, size_t elem)
{
    const int32_t n = rd();
    const size_t bytes = ((size_t)n * elem + 3) & ~(size_t)3;
    void *p = malloc(bytes + 4);
    if (p == NULL || fread(p, 1, bytes, g_in) != bytes) {
        fprintf(stderr, "opt_driver: truncated array\n");
        exit(3);
    }
    *n_out = n;
    return p;
}

static int32_t *rd_i32(int32_t n)
{
    int32_t *p = malloc((size_t)n * 4 + 4);
    for (int32_t i = 0; i < n; ++i) p[i] = rd();
    return p;
}

int main(int argc, char **argv)
{
    FILE *out;
    int32_t kind;
    if (argc != 3) return 2;
    g_in = fopen(argv[1], "rb");
    out = fopen(argv[2], "wb");
    if (g_in == NULL || out == NULL) return 2;
    while (fread(&kind, 4, 1, g_in) == 1) {
        int32_t s[32], nsc = rd(), c, n_in, n_w, n_out, has_bias;
        int32_t *mult, *shift, *bias = NULL;
        int8_t *x, *w, *y_ref, *y_opt;
        if (nsc > 32) return 3;
        for (int32_t i = 0; i < nsc; ++i) s[i] = rd();
        c = kind == 2 ? s[2] : s[6];        /* out_features / out_c */
        mult = rd_i32(c);
        shift = rd_i32(c);
        x = rd_block(&n_in, 1);
        w = rd_block(&n_w, 1);
        has_bias = rd();
        if (has_bias) bias = rd_i32(c);
        n_out = rd();
        y_ref = malloc((size_t)n_out + 1);
        y_opt = malloc((size_t)n_out + 1);
        memset(y_ref, 0x55, (size_t)n_out);
        memset(y_opt, 0x55, (size_t)n_out);
        if (kind == 0) {
            td_conv2d_s8_args_t a;
            memcpy(&a, s, 20 * sizeof(int32_t));
            a.out_mult = mult;
            a.out_shift = shift;
            td_conv2d_s8(&a, x, w, bias, y_ref);
            td_conv2d_s8_opt(&a, x, w, bias, y_opt);
        } else if (kind == 1) {
            td_depthwise_conv2d_s8_args_t a;
            memcpy(&a, s, 20 * sizeof(int32_t));
            a.out_mult = mult;
            a.out_shift = shift;
            td_depthwise_conv2d_s8(&a, x, w, bias, y_ref);
            td_depthwise_conv2d_s8_opt(&a, x, w, bias, y_opt);
        } else {
            td_fully_connected_s8_args_t a;
            memcpy(&a, s, 8 * sizeof(int32_t));
            a.out_mult = mult;
            a.out_shift = shift;
            td_fully_connected_s8(&a, x, w, bias, y_ref);
            td_fully_connected_s8_opt(&a, x, w, bias, y_opt);
        }
        fwrite(y_ref, 1, (size_t)n_out, out);
        fwrite(y_opt, 1, (size_t)n_out, out);
        free(mult);
        free(shift);
        free(bias);
        free(x);
        free(w);
        free(y_ref);
        free(y_opt);
    }
    fclose(out);
    fclose(g_in);
    return 0;
}
