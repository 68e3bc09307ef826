/* td_softmax_ce_grad_f32.h - float32 gradient of the mean softmax cross-entropy loss
 * w.r.t. the logits, from the log-probabilities [rows, n] and int64 labels [rows] (ONNX
 * Runtime's SoftmaxCrossEntropyLossGrad as Deeploy runs it, without dY): p =
 * expf(log_prob[r][j]), b = 1.0f / batch, dx[r][j] = ((p - 1.0f) * b) * b where j equals
 * labels[r], (p * b) * b elsewhere. A label outside [0, n) selects no column. dx may be
 * log_prob (each element is read before it is written).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): rows, n,
 * batch >= 1; log_prob and dx of rows * n floats, labels of rows int64 values.
 */
#ifndef TD_SOFTMAX_CE_GRAD_F32_H
#define TD_SOFTMAX_CE_GRAD_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t rows;
    int32_t n;
    int32_t batch;
} td_softmax_ce_grad_f32_args_t;

void td_softmax_ce_grad_f32(const td_softmax_ce_grad_f32_args_t *args,
                            const float *log_prob, const int64_t *labels, float *dx);

#endif /* TD_SOFTMAX_CE_GRAD_F32_H */
