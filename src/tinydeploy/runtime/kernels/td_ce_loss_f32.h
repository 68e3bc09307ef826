/* td_ce_loss_f32.h - float32 mean cross-entropy loss from log-probabilities [rows, n]
 * and int64 labels [rows]: acc = 0.0f, then for rows r increasing acc +=
 * log_prob[r][labels[r]] when 0 <= labels[r] < n (a label outside adds nothing, its row
 * still counted in batch); loss[0] = -(acc / (float)batch).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, backward.py): rows, n,
 * batch >= 1; log_prob of rows * n floats, labels of rows int64 values, loss of 1 float.
 */
#ifndef TD_CE_LOSS_F32_H
#define TD_CE_LOSS_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t rows;
    int32_t n;
    int32_t batch;
} td_ce_loss_f32_args_t;

void td_ce_loss_f32(const td_ce_loss_f32_args_t *args, const float *log_prob,
                    const int64_t *labels, float *loss);

#endif /* TD_CE_LOSS_F32_H */
