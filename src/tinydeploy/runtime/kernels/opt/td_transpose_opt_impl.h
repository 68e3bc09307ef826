/* td_transpose_opt_impl.h - the collapsed-dimension transpose of td_transpose_s8_opt.h,
 * compiled once per byte type by the kernel that includes it (td_transpose_s8_opt.c,
 * td_transpose_u8_opt.c). The includer defines TD_TR_T (int8_t or uint8_t); its public
 * function calls transpose_run (a real definition in the .c file, so the link-name scan of
 * td_names.h sees it). Bytes are moved as uint8_t whatever TD_TR_T is.
 *
 * Output rows (i0, i1) go in groups of four: a group is the core's unit of work (so one
 * slab, n0 = 1, still splits over the cores). Where the group reads four neighbouring
 * input bytes per i2 (s1 = 1) from word-aligned rows (input word-aligned, s2 and s0
 * multiples of 4) and its output rows hold whole halfwords (output and n2 even), it moves
 * 8 x 8 and 4 x 4 blocks in registers (tr_down8, tr_down4: about two instructions per
 * byte on RV32IMC instead of four), walking down the output rows (eight input rows at a
 * time, each along all the group's columns). Other rows gather their bytes one by one,
 * short rows (n2 < 8, s1 = 1) column by column (contiguous reads).
 */
#ifndef TD_TRANSPOSE_OPT_IMPL_H
#define TD_TRANSPOSE_OPT_IMPL_H

#include "../../td_names.h"

#include "td_opt_config.h"
#include "td_transpose_s8_opt.h"

/* The block path is compiled only where a layer can take it (td_opt_config.h
 * TD_TR_PATHS: value 1): ~1.8 KB of rv32imc code the other projects leave out. */
#define TD_TR_BLOCKS_ON TD_OPT_IN(TD_TR_PATHS, 1)

/* GCC -O3 would also compile each block loop once more for s2 == 1 (loop versioning for
 * strides, GCC 10 on: code size only, that stride never reaches the block paths). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 10
#pragma GCC optimize("no-version-loops-for-strides")
#endif

/* The 4 x 4 byte transpose of four input rows r0..r3 (a word each: four neighbouring
 * columns), first step (t: a temporary, m = 0x00ff00ff): swap the odd bytes of rows 0/1
 * and of rows 2/3, so that the low halfword of r0 is (x00, x10) and its high one
 * (x02, x12), of r1 (x01, x11) and (x03, x13), likewise r2, r3 for rows 2, 3. The
 * halfword stores finish it: output row c is (r0, r2), (r1, r3), (r0 >> 16, r2 >> 16),
 * (r1 >> 16, r3 >> 16) for c = 0, 1, 2, 3. */
#define TR_SWAP(r0, r1, r2, r3, t)                                                         \
    do {                                                                                   \
        t = ((r0 >> 8) ^ r1) & m;                                                          \
        r1 ^= t;                                                                           \
        r0 ^= t << 8;                                                                      \
        t = ((r2 >> 8) ^ r3) & m;                                                          \
        r3 ^= t;                                                                           \
        r2 ^= t << 8;                                                                      \
    } while (0)

/* Two halfwords at qa (no advance). */
#define TR_SH(qa, lo, hi)                                                                  \
    do {                                                                                   \
        *(uint16_t *)(void *)(qa) = (uint16_t)(lo);                                        \
        *(uint16_t *)(void *)((qa) + 2) = (uint16_t)(hi);                                  \
    } while (0)

/* Four halfwords at qa. */
#define TR_SH4(qa, h0, h1, h2, h3)                                                         \
    do {                                                                                   \
        TR_SH(qa, h0, h1);                                                                 \
        TR_SH((qa) + 4, h2, h3);                                                           \
    } while (0)

#define TR_LOAD(pp, k) (*(const uint32_t *)(const void *)((pp) + (k)))

/* count 8 x 8 blocks down output rows: block k reads eight columns 8k..8k + 7 from input
 * rows p + r s2 (r < 8; a pointer per row; word-aligned, s2 a multiple of 4) and writes
 * output rows 8k..8k + 7 (q + c n2, n2 even; one pointer walks down them) at bytes 0..7. */
static TD_OPT_NOINLINE void tr_down8(const uint8_t *p, int32_t s2, uint8_t *q, int32_t n2,
                                     int32_t count)
{
    const uint32_t m = 0x00ff00ffu;
    const uint8_t *p0 = p, *p1 = p0 + s2, *p2 = p1 + s2, *p3 = p2 + s2, *p4 = p3 + s2;
    const uint8_t *p5 = p4 + s2, *p6 = p5 + s2, *p7 = p6 + s2;
    for (; count > 0; --count) {
        for (int32_t h = 0; h < 2; ++h) {                /* columns 0..3, then 4..7 */
            uint32_t a0 = TR_LOAD(p0, 0), a1 = TR_LOAD(p1, 0), a2 = TR_LOAD(p2, 0);
            uint32_t a3 = TR_LOAD(p3, 0), b0 = TR_LOAD(p4, 0), b1 = TR_LOAD(p5, 0);
            uint32_t b2 = TR_LOAD(p6, 0), b3 = TR_LOAD(p7, 0), t;
            TR_SWAP(a0, a1, a2, a3, t);
            TR_SWAP(b0, b1, b2, b3, t);
            TR_SH4(q, a0, a2, b0, b2);
            q += n2;
            TR_SH4(q, a1, a3, b1, b3);
            q += n2;
            TR_SH4(q, a0 >> 16, a2 >> 16, b0 >> 16, b2 >> 16);
            q += n2;
            TR_SH4(q, a1 >> 16, a3 >> 16, b1 >> 16, b3 >> 16);
            q += n2;
            p0 += 4;
            p1 += 4;
            p2 += 4;
            p3 += 4;
            p4 += 4;
            p5 += 4;
            p6 += 4;
            p7 += 4;
        }
    }
}

/* tr_down8 for four input rows: count blocks of four columns (output rows), four bytes
 * of each output row. */
static TD_OPT_NOINLINE void tr_down4(const uint8_t *p, int32_t s2, uint8_t *q, int32_t n2,
                                     int32_t count)
{
    const uint32_t m = 0x00ff00ffu;
    const uint8_t *p0 = p, *p1 = p0 + s2, *p2 = p1 + s2, *p3 = p2 + s2;
    for (; count > 0; --count, p0 += 4, p1 += 4, p2 += 4, p3 += 4) {
        uint32_t a0 = TR_LOAD(p0, 0), a1 = TR_LOAD(p1, 0), a2 = TR_LOAD(p2, 0);
        uint32_t a3 = TR_LOAD(p3, 0), t;
        TR_SWAP(a0, a1, a2, a3, t);
        TR_SH(q, a0, a2);
        q += n2;
        TR_SH(q, a1, a3);
        q += n2;
        TR_SH(q, a0 >> 16, a2 >> 16);
        q += n2;
        TR_SH(q, a1 >> 16, a3 >> 16);
        q += n2;
    }
}

#undef TR_SH4
#undef TR_SH
#undef TR_SWAP
#undef TR_LOAD

/* Output row y[0, n2) = p[k * s2], k < n2 (one pointer walks the reads). */
static TD_OPT_NOINLINE void tr_row(const uint8_t *p, int32_t s2, uint8_t *y, int32_t n2)
{
    uint8_t *const end = y + (n2 & ~7);
    for (; y != end; y += 8) {
        uint8_t v0, v1, v2, v3;
        v0 = *p;
        p += s2;
        v1 = *p;
        p += s2;
        v2 = *p;
        p += s2;
        v3 = *p;
        p += s2;
        y[0] = v0;
        y[1] = v1;
        y[2] = v2;
        y[3] = v3;
        v0 = *p;
        p += s2;
        v1 = *p;
        p += s2;
        v2 = *p;
        p += s2;
        v3 = *p;
        p += s2;
        y[4] = v0;
        y[5] = v1;
        y[6] = v2;
        y[7] = v3;
    }
    for (n2 &= 7; n2 > 0; --n2, p += s2) *y++ = *p;
}

/* Output column y[k * n2] = p[k], k < count (the short rows of an NCHW -> NHWC edge with
 * few channels: contiguous reads; one pointer walks the writes). */
static TD_OPT_NOINLINE void tr_col(const uint8_t *p, uint8_t *y, int32_t n2, int32_t count)
{
    const uint8_t *const end = p + (count & ~7);
    for (; p != end; p += 8) {
        const uint8_t v0 = p[0], v1 = p[1], v2 = p[2], v3 = p[3];
        const uint8_t v4 = p[4], v5 = p[5], v6 = p[6], v7 = p[7];
        *y = v0;
        y += n2;
        *y = v1;
        y += n2;
        *y = v2;
        y += n2;
        *y = v3;
        y += n2;
        *y = v4;
        y += n2;
        *y = v5;
        y += n2;
        *y = v6;
        y += n2;
        *y = v7;
        y += n2;
    }
    for (count &= 7; count > 0; --count, y += n2) *y = *p++;
}

/* Output rows q + c n2, c < 4 quads (n2 >= 4 even, q even), whole, from input columns p on
 * (word-aligned, rows s2 apart, s2 a multiple of 4): down the output rows, eight input
 * rows at a time along all the columns (a lone group of four columns, four rows at a
 * time), then four input rows, then two. */
static TD_OPT_NOINLINE void tr_blocks(const uint8_t *p, int32_t s2, uint8_t *q, int32_t n2,
                                      int32_t quads)
{
    const int32_t eights = quads >> 1, odd = 8 * eights;
    int32_t b = 0;
    for (; b + 8 <= n2 && eights > 0; b += 8, p += 8 * s2, q += 8) {
        tr_down8(p, s2, q, n2, eights);
        if (quads & 1) {
            tr_down4(p + odd, s2, q + odd * n2, n2, 1);
            tr_down4(p + 4 * s2 + odd, s2, q + odd * n2 + 4, n2, 1);
        }
    }
    for (; b + 4 <= n2; b += 4, p += 4 * s2, q += 4) tr_down4(p, s2, q, n2, quads);
    if (b < n2) {                                           /* two input rows left */
        tr_col(p, q, n2, 4 * quads);
        tr_col(p + s2, q + 1, n2, 4 * quads);
    }
}

static void transpose_run(const td_transpose_s8_opt_args_t *args, const TD_TR_T *input,
                          TD_TR_T *output, void *scratch, const td_team_t *team)
{
    const int32_t n0 = args->n0, n1 = args->n1, n2 = args->n2;
    const int32_t s0 = args->s0, s1 = args->s1, s2 = args->s2;
    const int32_t groups = (n1 + 3) >> 2;
    const uint8_t *const x = (const uint8_t *)(const void *)input;
    uint8_t *const y = (uint8_t *)(void *)output;
    const int blocks = TD_TR_BLOCKS_ON && s1 == 1 && n2 >= 4 && (n2 & 1) == 0 && (s2 & 3) == 0 &&
                       (n0 == 1 || (s0 & 3) == 0) && ((uintptr_t)x & 3u) == 0 &&
                       ((uintptr_t)y & 1u) == 0;
    int32_t u0, u1;
    (void)scratch;
    td_team_range(n0 * groups, td_team_cores(team), td_team_core(team), &u0, &u1);
    while (u0 < u1) {
        const int32_t i0 = u0 / groups, g0 = u0 - i0 * groups;
        const int32_t g1 = groups < g0 + (u1 - u0) ? groups : g0 + (u1 - u0);
        const int32_t end = 4 * g1 < n1 ? 4 * g1 : n1;
        const uint8_t *xs = x + i0 * s0;
        uint8_t *ys = y + i0 * n1 * n2;
        int32_t i1 = 4 * g0;
        if (blocks && end - i1 >= 4) {
            const int32_t quads = (end - i1) >> 2;
            tr_blocks(xs + i1, s2, ys + i1 * n2, n2, quads);
            i1 += 4 * quads;
        }
        if (s1 == 1 && n2 < 8 && end - i1 > n2) {          /* short rows: by columns */
            for (int32_t c = 0; c < n2; ++c)
                tr_col(xs + c * s2 + i1, ys + i1 * n2 + c, n2, end - i1);
            i1 = end;
        }
        for (; i1 < end; ++i1) tr_row(xs + i1 * s1, s2, ys + i1 * n2, n2);
        u0 += g1 - g0;
    }
}

#endif /* TD_TRANSPOSE_OPT_IMPL_H */
