/* td_opt_conv_impl.h - the optimized convolution's driver, compiled once per weight
 * format by the kernel that includes it (td_conv2d_s8_opt.c: TFLite, int16 weights * 256;
 * td_conv2d_rq_opt.c: integer graphs, int8 weights, any output type). See
 * td_conv2d_s8_opt.h (args, paths, write order) and td_opt_common.h (the tricks).
 * The includer defines TD_CV_WT / TD_CV_WV (weight type and value * 256) and TD_CV_WTS
 * (the args member holding the weights), and its public function calls td_cv_run (a
 * real definition in the .c file, so the link-name scan of td_names.h sees it).
 */
#ifndef TD_OPT_CONV_IMPL_H
#define TD_OPT_CONV_IMPL_H

#include "../../td_names.h"

#include "../td_common.h"
#include "td_conv2d_s8_opt.h"
#include "td_opt_common.h"
#include "td_opt_conv_stage.h"
#include "td_opt_gemm.h"

#define CV_BLK 6          /* words per block header: r, valid, mode, oc, chan, wts */

/* Work of one call of cv_blocks: `groups` groups of P consecutive output pixels; pixel p
 * of group g writes its channels at y + g * ystep + p * ps; only a single group may be
 * partial (np < P). */
typedef struct {
    const int32_t *col;   /* im2col path: [groups][k][2] staged words */
    td_cv_rowjob_t *job;  /* row path */
    int8_t *y;
    int32_t ps, ystep, groups, np;
} cv_work_t;

/* Plain loops of a wide block on staged im2col words (exact for any weights): outputs
 * (pixel p < np, channel j < valid) of one group at y + p * ps + j. */
static void cv_wide(const td_conv2d_s8_opt_args_t *a, const int32_t *col, const TD_CV_WT *wp,
                    int32_t r, int32_t valid, const int32_t *ch, int8_t *y, int32_t ps,
                    int32_t np, const td_cv_io_t *io)
{
    for (int32_t p = 0; p < np; ++p) {
        for (int32_t j = 0; j < valid; ++j) {
            uint32_t acc = (uint32_t)ch[j * TD_OPT_CH + TD_CH_LO];
            for (int32_t t = 0; t < a->k; ++t) {
                const int32_t word = col[2 * t + (p & 1)];
                const int32_t u = p < 2 ? td_opt_pair_a(word) : td_opt_pair_b(word);
                acc += (uint32_t)((TD_CV_WV(wp[t * r + j]) >> 8) * u);
            }
            if (io->rq != NULL) {
                td_opt_store_any(y + p * ps + j * io->rq->esize, io->rq->esize,
                                 td_opt_rq_any((int32_t)acc, ch + j * TD_OPT_CH, io->rq));
            } else {
                y[p * ps + j] = td_opt_sat(td_opt_rq_slow((int32_t)acc, ch + j * TD_OPT_CH,
                                                          a->output_offset),
                                           a->act_min, a->act_max);
            }
        }
    }
}

/* One block on one group through tmp (partial block or partial group), then the valid
 * outputs copied to their places. */
TD_OPT_NOINLINE static void cv_block_tmp(const td_conv2d_s8_opt_args_t *a,
                                         const cv_plan_t *pl, const int32_t *hdr,
                                         const int32_t *ch, const TD_CV_WT *wp,
                                         const cv_work_t *w, int32_t g, const td_cv_io_t *io)
{
    const int32_t r = hdr[0], valid = hdr[1], mode = hdr[2], es = pl->es;
    int32_t tmp32[8 * 5];                  /* 8 pixels x 5 channels of up to 4 bytes */
    int8_t *const tmp = (int8_t *)tmp32;
    int8_t *const yg = w->y + g * w->ystep + hdr[3] * es;
    if (mode == TD_CV_WIDE) {
        if (TD_CV_WIDE_ON) cv_wide(a, w->col + g * 2 * pl->k, wp, r, valid, ch, tmp, 5 * es,
                                   w->np, io);
    } else if (pl->row) {
        td_cv_rowjob_t one = *w->job;
        one.groups = 1;
        for (int32_t ky = 0; ky < one.kh; ++ky) one.rows[ky] += g * one.gstep;
        one.y = tmp;
        one.ps = 5 * es;
        if (TD_CV_R2_ON && r == 2) td_cv_row2(&one, wp, ch, io, mode);
        else if (TD_CV_R4_ON) td_cv_row4(&one, wp, ch, io, mode);
    } else if (TD_CV_B5_ON && r == 5) {
        td_cv_block5(w->col + g * 2 * pl->k, wp, pl->k, ch, tmp, 5 * es, 0, 1, io, mode);
    } else if (TD_CV_B4_ON) {
        td_cv_block4(w->col + g * 2 * pl->k, wp, pl->k, ch, tmp, 5 * es, 0, 1, io, mode);
    }
    for (int32_t p = 0; p < w->np; ++p) {
        for (int32_t j = 0; j < valid * es; ++j) yg[p * w->ps + j] = tmp[p * 5 * es + j];
    }
}

/* Blocks [b0, b1) on the staged work (the loop's invariants in locals: the block calls
 * may write any memory, so fields would be read again after each). */
static void cv_blocks(const td_conv2d_s8_opt_args_t *a, const cv_plan_t *pl, int32_t b0,
                      int32_t b1, const cv_work_t *w, const td_cv_io_t *io)
{
    const int32_t row = pl->row, pix = row ? pl->rp : 4, es = pl->es, k = pl->k;
    const int32_t np = w->np, ps = w->ps, ystep = w->ystep, groups = w->groups;
    const int32_t *const col = w->col;
    int8_t *const y = w->y;
    const int32_t *hdr = a->blk + CV_BLK * b0;
    const int32_t *const chan = a->chan;
    const TD_CV_WT *const wts = a->TD_CV_WTS;
    for (int32_t b = b0; b < b1; ++b, hdr += CV_BLK) {
        const int32_t r = hdr[0], mode = hdr[2], oc = hdr[3] * es;
        const int32_t *ch = chan + TD_OPT_CH * hdr[4];
        const TD_CV_WT *wp = wts + hdr[5];
        if (!row && np <= 2 && hdr[1] == r && mode != TD_CV_WIDE
            && (r == 5 ? TD_CV_T5_ON : TD_CV_T4_ON)) {
            /* a tail of 1 or 2 pixels (one group): the low lanes of pair 0, then pair 1 */
            for (int32_t p = 0; p < np; ++p) {
                int8_t *const yp = y + p * ps + oc;
                if (TD_CV_T5_ON && r == 5) td_cv_tail5(col + p, wp, k, ch, yp, io, mode);
                else if (TD_CV_T4_ON) td_cv_tail4(col + p, wp, k, ch, yp, io, mode);
            }
        } else if (hdr[1] != r || np != pix || mode == TD_CV_WIDE) {
            for (int32_t g = 0; g < groups; ++g) cv_block_tmp(a, pl, hdr, ch, wp, w, g, io);
        } else if (row) {
            w->job->y = y + oc;
            if (TD_CV_R2_ON && r == 2) td_cv_row2(w->job, wp, ch, io, mode);
            else if (TD_CV_R4_ON) td_cv_row4(w->job, wp, ch, io, mode);
        } else if (TD_CV_B5_ON && r == 5) {
            td_cv_block5(col, wp, k, ch, y + oc, ps, ystep, groups, io, mode);
        } else if (TD_CV_B4_ON) {
            td_cv_block4(col, wp, k, ch, y + oc, ps, ystep, groups, io, mode);
        }
    }
}

/* ---- im2col path ----------------------------------------------------------------- */

/* Stage pixels [n0, n0 + 4 * gf) as gf full groups, then np (< 4) pixels of a partial
 * group, channels of conv group cgi, at col. Partial group: pixel p in pair p & 1, lane
 * p >> 1 as in a full one, the missing lanes repeating a staged pixel (the tail kernels
 * read pixels 0 and 1 from the low lanes of pairs 0 and 1). */
static void cv_stage(const td_conv2d_s8_opt_args_t *a, const cv_plan_t *pl, const int8_t *xb,
                     int32_t cgi, int32_t n0, int32_t gf, int32_t np, int32_t *col)
{
    const int32_t c0 = cgi * pl->cg;
    if (pl->direct) {          /* windows are input pixels: straight to cv_pairs */
        const int32_t ic = a->in_c, cg = pl->cg;
        const int8_t *const x = xb + c0;
        for (int32_t j = 0; j < gf; ++j, col += 2 * pl->k) {
            const int8_t *const p = x + (n0 + 4 * j) * ic;
            cv_pairs(col, p, p + 2 * ic, cg);
            cv_pairs(col + 1, p + ic, p + 3 * ic, cg);
        }
        if (np > 0) {
            const int32_t m = n0 + 4 * gf;
            cv_pairs(col, x + m * ic, x + (np > 2 ? m + 2 : m) * ic, cg);
            cv_pairs(col + 1, x + (np > 1 ? m + 1 : m) * ic, x + (np > 3 ? m + 3 : m) * ic, cg);
        }
        return;
    }
    for (int32_t j = 0; j < gf; ++j, col += 2 * pl->k) {
        const int32_t m = n0 + 4 * j;
        cv_im2col_pair(a, xb, c0, pl->cg, m, m + 2, col);
        cv_im2col_pair(a, xb, c0, pl->cg, m + 1, m + 3, col + 1);
    }
    if (np > 0) {
        const int32_t m = n0 + 4 * gf;
        cv_im2col_pair(a, xb, c0, pl->cg, m, np > 2 ? m + 2 : m, col);
        cv_im2col_pair(a, xb, c0, pl->cg, np > 1 ? m + 1 : m, np > 3 ? m + 3 : m, col + 1);
    }
}

/* Run the staged pass [n0, n0 + 4 gf + np) of conv group cgi with blocks [b0, b1). */
static void cv_pass(const td_conv2d_s8_opt_args_t *a, const cv_plan_t *pl, int8_t *yb,
                    const int32_t *col, int32_t n0, int32_t gf, int32_t np, int32_t b0,
                    int32_t b1, const td_cv_io_t *io)
{
    cv_work_t w;
    w.col = col;
    w.job = NULL;
    w.ps = a->out_c * pl->es;
    w.ystep = 4 * w.ps;
    if (gf > 0) {
        w.groups = gf;
        w.np = 4;
        w.y = yb + n0 * w.ps;
        cv_blocks(a, pl, b0, b1, &w, io);
    }
    if (np > 0) {
        w.col = col + gf * 2 * pl->k;
        w.groups = 1;
        w.np = np;
        w.y = yb + (n0 + 4 * gf) * w.ps;
        cv_blocks(a, pl, b0, b1, &w, io);
    }
}

static void cv_im2col(const td_conv2d_s8_opt_args_t *a, const cv_plan_t *pl, const int8_t *xb,
                      int8_t *yb, int32_t *col, const td_team_t *team, const td_cv_io_t *io)
{
    const int32_t npix = a->out_h * a->out_w, per = 4 * a->col_groups;
    const int32_t npass = (npix + per - 1) / per, core = td_team_core(team);
    const int32_t cores = td_team_cores(team), by_blocks = a->split == 1 && cores > 1;
    const int32_t rounds = by_blocks ? npass : (npass + cores - 1) / cores;
    int32_t b0 = 0, b1 = a->n_blocks;
    if (by_blocks) td_team_range(a->n_blocks, cores, core, &b0, &b1);
    for (int32_t round = 0; round < rounds; ++round) {
        const int32_t pass = by_blocks ? round : round * cores + core;
        const int32_t n0 = pass * per, cnt = TD_MIN(per, npix - n0);
        if (a->groups == 1) {
            if (pass < npass) cv_stage(a, pl, xb, 0, n0, cnt / 4, cnt % 4, col);
            td_team_barrier(team);     /* every core staged this round: writes may start */
            if (pass < npass) cv_pass(a, pl, yb, col, n0, cnt / 4, cnt % 4, b0, b1, io);
            continue;
        }
        for (int32_t g = 0; pass < npass && g < a->groups; ++g) {
            cv_stage(a, pl, xb, g, n0, cnt / 4, cnt % 4, col);
            cv_pass(a, pl, yb, col, n0, cnt / 4, cnt % 4, g * a->n_blocks,
                    (g + 1) * a->n_blocks, io);
        }
    }
}

/* ---- row path (one group) ---------------------------------------------------------- */

/* Ring slots for output row oy (refilled where they hold another input row). */
static void cv_ring(const td_conv2d_s8_opt_args_t *a, const cv_plan_t *pl, const int8_t *xb,
                    int32_t *ring, int32_t *held, int32_t oy, const int32_t **base)
{
    const int32_t slot_words = pl->cg * pl->wp;
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dilation_h;
        const int32_t s = ((iy % pl->span) + pl->span) % pl->span;
        base[ky] = ring + pl->span * slot_words;     /* the padding row: all pair(zp, zp) */
        if (iy < 0 || iy >= a->in_h) continue;
        base[ky] = ring + s * slot_words;
        if (held[s] != iy) {
            cv_fill_row(a, pl, xb, 0, iy, ring + s * slot_words);
            held[s] = iy;
        }
    }
}

/* Output row oy from the ring rows base[ky], blocks [b0, b1). */
static void cv_row(const td_conv2d_s8_opt_args_t *a, const cv_plan_t *pl, int8_t *yb,
                   const int32_t *const *base, int32_t oy, int32_t b0, int32_t b1,
                   const td_cv_io_t *io)
{
    td_cv_rowjob_t job;
    cv_work_t w;
    job.kh = a->k_h;
    job.cg = pl->cg;
    job.wstride = pl->wp;
    job.gstep = pl->rp;
    job.ps = a->out_c * pl->es;
    job.ystep = pl->rp * job.ps;
    w.col = NULL;
    w.job = &job;
    w.ps = job.ps;
    w.ystep = job.ystep;
    /* all full groups of the row in one call per block, then the partial one */
    for (int32_t ox0 = 0; ox0 < a->out_w; ox0 += job.groups * pl->rp) {
        const int32_t np = TD_MIN(pl->rp, a->out_w - ox0);
        job.groups = np < pl->rp ? 1 : a->out_w / pl->rp;
        w.groups = job.groups;
        w.np = np;
        w.y = yb + (oy * a->out_w + ox0) * w.ps;
        for (int32_t ky = 0; ky < a->k_h; ++ky) job.rows[ky] = base[ky] + ox0;
        cv_blocks(a, pl, b0, b1, &w, io);
    }
}

static void cv_rows(const td_conv2d_s8_opt_args_t *a, const cv_plan_t *pl, const int8_t *xb,
                    int8_t *yb, int32_t *ring, const td_team_t *team, const td_cv_io_t *io)
{
    const int32_t core = td_team_core(team), cores = td_team_cores(team);
    const int32_t by_blocks = a->split == 1 && cores > 1;
    const int32_t rounds = by_blocks ? a->out_h : (a->out_h + cores - 1) / cores;
    const int32_t slot_words = pl->cg * pl->wp;
    int32_t *const pad_row = ring + pl->span * slot_words;
    int32_t held[16];
    int32_t b0 = 0, b1 = a->n_blocks;
    if (by_blocks) td_team_range(a->n_blocks, cores, core, &b0, &b1);
    for (int32_t s = 0; s < pl->span; ++s) held[s] = -1;
    for (int32_t i = 0; i < slot_words; ++i) pad_row[i] = td_opt_pair(-a->input_offset,
                                                                      -a->input_offset);
    for (int32_t round = 0; round < rounds; ++round) {
        const int32_t oy = by_blocks ? round : round * cores + core;
        const int32_t *base[16];
        if (oy < a->out_h) cv_ring(a, pl, xb, ring, held, oy, base);
        td_team_barrier(team);         /* every core read its rows: writes may start */
        if (oy < a->out_h) cv_row(a, pl, yb, base, oy, b0, b1, io);
    }
}

static void td_cv_run(const td_conv2d_s8_opt_args_t *args, const int8_t *input, void *output,
                      void *scratch, const td_team_t *team)
{
    const td_conv2d_s8_opt_args_t *a = args;
    const int32_t in_size = a->in_h * a->in_w * a->in_c;
    const int32_t out_bytes = a->out_h * a->out_w * a->out_c * a->esize;
    const td_opt_rqp_t rq = {a->esize, a->rq_lo, a->rq_hi, a->output_offset, a->rq_fp32,
                             a->rq_rounding, a->rq_mul2, a->gmul, a->gadd, a->gdiv};
    const td_cv_io_t io = {a->act_min, a->act_max, a->output_offset,
                           a->kind == TD_CV_KIND_RQ ? &rq : NULL};
    int32_t *const buf = (int32_t *)((uint8_t *)scratch
                                     + (size_t)td_team_core(team) * (size_t)a->scratch_bytes);
    int8_t *const out = (int8_t *)output;
    cv_plan_t pl;
    pl.row = a->path == TD_CV_PATH_ROW;
    pl.cg = a->in_c / a->groups;
    pl.og = a->out_c / a->groups;
    pl.k = a->k;
    pl.wp = a->wp;
    pl.span = a->span;
    pl.rp = a->rp;
    pl.es = a->esize;
    pl.direct = a->k_h == 1 && a->k_w == 1 && a->stride_h == 1 && a->stride_w == 1
                && a->pad_top == 0 && a->pad_left == 0 && a->out_w == a->in_w
                && a->out_h == a->in_h;
    for (int32_t b = 0; b < a->batches; ++b) {
        if (pl.row) {    /* (a path no layer takes is left out: td_opt_config.h) */
            if (TD_CV_R4_ON || TD_CV_R2_ON) cv_rows(a, &pl, input + b * in_size,
                                                    out + b * out_bytes, buf, team, &io);
        } else if (TD_CV_B5_ON || TD_CV_B4_ON) {
            cv_im2col(a, &pl, input + b * in_size, out + b * out_bytes, buf, team, &io);
        }
    }
}

#endif /* TD_OPT_CONV_IMPL_H */
