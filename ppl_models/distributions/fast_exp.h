/* exp(x) in float32 for the C kernels of ppl_models.distributions (nade_kernel.c,
 * lstm_kernel.c). */
#ifndef PPL_MODELS_FAST_EXP_H
#define PPL_MODELS_FAST_EXP_H

#include <stdint.h>
#include <string.h>

/* exp(x) in float32, branch-free so the compiler vectorises it: 2^n * p(r), with
 * x = n ln2 + r, |r| <= ln2 / 2, p the degree-6 Taylor/Cephes polynomial (about 1 ulp). */
static inline float vexp(float x) {
    float y = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float n = __builtin_rintf(y * 1.44269504088896341f);
    float r = y - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    float e = p * scale;
    return x != x ? x : e;
}

#endif
