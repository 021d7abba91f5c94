/* One step of the LSTM scan's element-wise work on float32, forward and backward
 * (van den Oord et al. 2016, eq. 3, in the form ppl_models/distributions/pixelrnn.py's
 * _LSTMScan documents: the g gates' pre-activations doubled, tanh(x) = 2 sigmoid(2x) - 1,
 * the cell state kept halved, e = c / 2).
 *
 * A step covers D directions x P positions of H units. Each direction's rows (of 4H gate
 * values or of H states) are contiguous; the directions lie a stride apart (the *_d
 * arguments, in floats), so the callers pass views of their buffers without copies. In
 * torch the same step is some fifteen (forward) and twenty-five (backward) separate
 * passes over slabs of a few thousand floats, each costing more in its call than in its
 * arithmetic. Built by ppl_models/distributions/lstm_kernel.py (no fast-math: NaN
 * propagates).
 */
#include <stdint.h>

#include "fast_exp.h"

static inline float sigm(float a) { return 1.0f / (1.0f + vexp(-a)); }

/* s (in: pre-activations o, f, i, g; out: their sigmoids), e_prev (the cell states each
 * position continues), e_out, h_out (the new halved cell and hidden states) and tanh_c
 * (tanh of the cell state, kept for the backward). */
void lstm_step(float *s, int64_t s_d, const float *e_prev, int64_t ep_d, float *e_out,
               int64_t eo_d, float *h_out, int64_t ho_d, float *tanh_c, int64_t tc_d,
               int64_t D, int64_t P, int64_t H) {
    for (int64_t d = 0; d < D; d++) {
        for (int64_t p = 0; p < P; p++) {
            float *restrict a = s + d * s_d + p * 4 * H;
            const float *restrict ep = e_prev + d * ep_d + p * H;
            float *restrict eo = e_out + d * eo_d + p * H;
            float *restrict ho = h_out + d * ho_d + p * H;
            float *restrict tc = tanh_c + d * tc_d + p * H;
#pragma omp simd
            for (int64_t k = 0; k < 4 * H; k++) a[k] = sigm(a[k]);
#pragma omp simd
            for (int64_t k = 0; k < H; k++) {
                float e = a[H + k] * ep[k] + a[2 * H + k] * (a[3 * H + k] - 0.5f);
                float c = 2.0f * sigm(4.0f * e) - 1.0f;
                eo[k] = e;
                tc[k] = c;
                ho[k] = a[k] * c;
            }
        }
    }
}

/* The step's backward: from dh (the states' gradient) and de (the halved cell states'
 * gradient from the next steps; updated in place), the gate pre-activations' gradient da
 * and the continued cell states' gradient, added to de_prev. */
void lstm_step_backward(const float *s, int64_t s_d, const float *tanh_c, int64_t tc_d,
                        const float *e_prev, int64_t ep_d, const float *dh, int64_t dh_d,
                        float *de, int64_t de_d, float *de_prev, int64_t dp_d, float *da,
                        int64_t da_d, int64_t D, int64_t P, int64_t H) {
    for (int64_t d = 0; d < D; d++) {
        for (int64_t p = 0; p < P; p++) {
            const float *restrict a = s + d * s_d + p * 4 * H;
            const float *restrict tc = tanh_c + d * tc_d + p * H;
            const float *restrict ep = e_prev + d * ep_d + p * H;
            const float *restrict gh = dh + d * dh_d + p * H;
            float *restrict ge = de + d * de_d + p * H;
            float *restrict gp = de_prev + d * dp_d + p * H;
            float *restrict ga = da + d * da_d + p * 4 * H;
#pragma omp simd
            for (int64_t k = 0; k < H; k++) {
                float o = a[k], f = a[H + k], i = a[2 * H + k], g = a[3 * H + k];
                float c = tc[k];
                /* h = o tanh(2 e): d tanh(2 e) / de = 2 (1 - tanh^2) */
                float e = ge[k] + gh[k] * o * (2.0f - 2.0f * c * c);
                ge[k] = e;
                ga[k] = gh[k] * c * (o - o * o);
                ga[H + k] = ep[k] * (f - f * f) * e;
                ga[2 * H + k] = (g - 0.5f) * (i - i * i) * e;
                ga[3 * H + k] = i * (g - g * g) * e;
                gp[k] += e * f;
            }
        }
    }
}
