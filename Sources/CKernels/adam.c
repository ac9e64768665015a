// torch 2.13's `_single_tensor_adam` as one pass: lerp and addcmul use FMA (ATen's vector
// `fmadd`), addcdiv does not, and contraction is off (-ffp-contract=off) so the compiler adds none.
#include "ckernels.h"
#include <math.h>

#define CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))

static inline __attribute__((always_inline)) float lerp(float start, float end, float w) {
    // ATen's scalar-weight lerp: fma(w, end - start, start) for |w| < 0.5, else from the end.
    return fabsf(w) < 0.5f ? fmaf(w, end - start, start) : fmaf(w - 1.0f, end - start, end);
}

static inline __attribute__((always_inline)) float nan_max(float a, float b) {
    float r = a > b ? a : b;
    return (isnan(a) || isnan(b)) ? NAN : r;
}

static inline __attribute__((always_inline)) void body(float *restrict p, const float *restrict g,
                                                        float *restrict m, float *restrict v,
                                                        float *restrict x, long n, cairn_adam_params k,
                                                        int plain, int amsgrad) {
    for (long i = 0; i < n; i++) {
        float p0 = p[i];
        float g0 = (!plain && k.maximize) ? -g[i] : g[i];
        float gi = (!plain && k.coupled) ? fmaf(p0, k.wd, g0) : g0;
        float pi = (!plain && k.scaled) ? p0 * k.decay : p0;
        float mi = lerp(m[i], gi, k.w1);
        float vi = fmaf(k.one_minus_b2 * gi, gi, v[i] * k.b2);
        m[i] = mi;
        v[i] = vi;
        if (amsgrad) {
            vi = nan_max(x[i], vi);
            x[i] = vi;
        }
        p[i] = pi + (k.neg_step * mi) / (sqrtf(vi) / k.bc2_sqrt + k.eps);
    }
}

CLONES static void adam_plain(float *p, const float *g, float *m, float *v, long n, cairn_adam_params k) {
    body(p, g, m, v, v, n, k, 1, 0);
}

CLONES static void adam_general(float *p, const float *g, float *m, float *v, long n, cairn_adam_params k) {
    body(p, g, m, v, v, n, k, 0, 0);
}

CLONES static void adam_amsgrad(float *p, const float *g, float *m, float *v, float *x, long n,
                                cairn_adam_params k) {
    body(p, g, m, v, x, n, k, 0, 1);
}

void cairn_adam_update(float *p, const float *g, float *m, float *v, float *x, long n,
                       const cairn_adam_params *k) {
    if (x) adam_amsgrad(p, g, m, v, x, n, *k);
    else if (!k->maximize && !k->coupled && !k->scaled) adam_plain(p, g, m, v, n, *k);
    else adam_general(p, g, m, v, n, *k);
}

const char *cairn_kernels_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
    return "baseline";
}
