// Element-wise kernels that need fused multiply-add to match PyTorch bit for bit and are built
// once per instruction set (AVX-512, AVX2+FMA, baseline) and picked at load time (ifunc).
#ifndef CAIRN_CKERNELS_H
#define CAIRN_CKERNELS_H

#include <stddef.h>

/// Loop-invariant scalars of one Adam update, already rounded to float32 as torch rounds them.
typedef struct {
    int maximize, coupled, scaled;
    float wd, decay, w1, b2, one_minus_b2, bc2_sqrt, eps, neg_step;
} cairn_adam_params;

/// One Adam/AdamW update of n elements in place; x (AMSGrad's running max) may be NULL.
void cairn_adam_update(float *p, const float *g, float *m, float *v, float *x, long n,
                       const cairn_adam_params *k);

/// Adds Σ_k A[m, k]·B[n, k] (A·Bᵀ, row-major) for a small M×N output into 16-lane partial sums:
/// `partials` holds M·N·16 floats, 64-byte aligned, lane sums of output (m, n) at (m·N + n)·16.
void cairn_sgemm_nt_accumulate(long M, long N, long K, const float *A, long lda, const float *B, long ldb,
                               float *partials);

/// Sets glibc's mmap and trim thresholds (bytes) so freed large blocks stay in the heap;
/// returns 1 when both were accepted, 0 elsewhere (non-glibc or rejected values).
int cairn_keep_freed_buffers(long mmap_threshold, long trim_threshold);

/// Name of the instruction set the kernels run with on this machine ("avx512f", "avx2", "baseline").
const char *cairn_kernels_isa(void);

#endif
