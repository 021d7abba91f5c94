/* Fused NADE teacher-forced pass on float32 (Larochelle & Murray 2011, eq. 3-5).
 *
 * Both functions run the recursion a_{d+1} = a_d + x_d W_d with the sigmoid, the output
 * dot product and (backward) the gradient updates fused into one loop over the hidden
 * units, so each position touches its H-vectors once, in L1, instead of the several
 * whole-tensor passes of the torch version.  Built by ppl_models/distributions/
 * nade_kernel.py with the machine's C compiler (no fast-math: NaN propagates).  Each
 * function does one range of the work (rows forward, hidden units backward) so the caller
 * can run ranges on several threads; no OpenMP runtime is loaded beside PyTorch's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fast_exp.h"

static inline float sigmoid(float a) { return 1.0f / (1.0f + vexp(-a)); }

#ifndef TILE
#define TILE 8   /* rows sharing each W_d, V_d load in the forward */
#endif
#ifndef SLICE
#define SLICE 64 /* hidden units per backward work item: D x SLICE floats stay in L2 */
#endif

/* Rows [row0, row1) of logits (N, D) from x (N, D), c (N or 1, H; row stride c_stride = H
 * or 0), W, V (D, H). */
int nade_logits(const float *x, const float *c, int64_t c_stride, const float *W,
                 const float *V, float *logits, int64_t N, int64_t D, int64_t H,
                 int64_t row0, int64_t row1) {
    (void)N;
    for (int64_t n0 = row0; n0 < row1; n0 += TILE) {
        float *a = malloc(TILE * H * sizeof(float));
        if (a == NULL) return 1; /* out of memory: the caller raises */
        int64_t rows = row1 - n0 < TILE ? row1 - n0 : TILE;
        for (int64_t t = 0; t < rows; ++t)
            memcpy(a + t * H, c + (n0 + t) * c_stride, H * sizeof(float));
        for (int64_t d = 0; d < D; ++d) {
            const float *w = W + d * H, *v = V + d * H;
            for (int64_t t = 0; t < rows; ++t) {
                float *at = a + t * H, s = 0.0f;
#pragma omp simd reduction(+ : s)
                for (int64_t k = 0; k < H; ++k) s += v[k] * sigmoid(at[k]);
                logits[(n0 + t) * D + d] = s;
                float xv = x[(n0 + t) * D + d];
                if (xv != 0.0f) {
#pragma omp simd
                    for (int64_t k = 0; k < H; ++k) at[k] += xv * w[k];
                }
            }
        }
        free(a);
    }
    return 0;
}

/* Hidden units [unit0, unit1) of the gradients of sum(g * logits): dc (N, H), dW, dV (D, H;
 * zeroed by the caller).  Each hidden unit's recursion is independent of the others', so
 * ranges of units can run in parallel; a slice of SLICE units recomputes its hidden values
 * for one row (D x SLICE floats, in L2), then walks the positions backwards carrying
 * r = sum over later positions of dL/da (dW_d gets x_d r; L&M 2011, Algorithm 1). */
int nade_logits_backward(const float *x, const float *c, int64_t c_stride, const float *W,
                          const float *V, const float *g, float *dc, float *dW, float *dV,
                          int64_t N, int64_t D, int64_t H, int64_t unit0, int64_t unit1) {
    for (int64_t k0 = unit0; k0 < unit1; k0 += SLICE) {
        float *h = malloc(D * SLICE * sizeof(float)), a[SLICE], r[SLICE];
        if (h == NULL) return 1;
        int64_t w = unit1 - k0 < SLICE ? unit1 - k0 : SLICE;
        for (int64_t n = 0; n < N; ++n) {
            const float *xr = x + n * D, *gr = g + n * D;
            memcpy(a, c + n * c_stride + k0, w * sizeof(float));
            for (int64_t d = 0; d < D; ++d) {
                float *hd = h + d * SLICE, xv = xr[d];
                const float *wd = W + d * H + k0;
#pragma omp simd
                for (int64_t k = 0; k < w; ++k) hd[k] = sigmoid(a[k]);
                if (xv != 0.0f) {
#pragma omp simd
                    for (int64_t k = 0; k < w; ++k) a[k] += xv * wd[k];
                }
            }
            memset(r, 0, sizeof r);
            for (int64_t d = D - 1; d >= 0; --d) {
                const float *hd = h + d * SLICE, *vd = V + d * H + k0;
                float *dvd = dV + d * H + k0, *dwd = dW + d * H + k0, gv = gr[d], xv = xr[d];
                if (xv != 0.0f) {
#pragma omp simd
                    for (int64_t k = 0; k < w; ++k) dwd[k] += xv * r[k];
                }
#pragma omp simd
                for (int64_t k = 0; k < w; ++k) {
                    dvd[k] += gv * hd[k];
                    r[k] += gv * vd[k] * hd[k] * (1.0f - hd[k]);
                }
            }
            memcpy(dc + n * H + k0, r, w * sizeof(float));
        }
        free(h);
    }
    return 0;
}
