// C = A·Bᵀ for a small output and a long shared dimension (a convolution's weight gradient:
// [Cout × K] times [K × kH·kW·Cin]ᵀ over every output pixel of the batch). OpenBLAS reaches about
// 35 GFLOPS on such shapes (16×25 outputs, K = 20,000: there is little to pack or split); here
// each 4×4 output block keeps sixteen vector accumulators in registers while the rows stream by.
#include "ckernels.h"
#include <string.h>

// The 64-byte vector helpers are always inlined, so no call crosses the AVX-512/AVX2 ABI boundary
// that -Wpsabi warns about.
#pragma clang diagnostic ignored "-Wpsabi"

#define CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))

typedef float v16 __attribute__((vector_size(64)));

/// Floats of each row per pass: 8 rows of 512 floats (16 KiB) stay in L1 while a block runs.
#define KB 512

static inline __attribute__((always_inline)) v16 load16(const float *p) {
    v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/// Adds A[m0+i, k0..<k1]·B[n0+j, k0..<k1] into the 16-lane partial sums acc[(m0+i)·N + n0+j] for
/// i < mb ≤ 4, j < nb ≤ 4 (k1 - k0 a multiple of 16).
static inline __attribute__((always_inline)) void block(const float *A, long lda, const float *B, long ldb,
                                                         v16 *acc, long N, long m0, long n0, long mb, long nb,
                                                         long k0, long k1) {
#pragma clang fp contract(fast)
    v16 c[4][4];
    const float *a[4], *b[4];
    for (long i = 0; i < 4; i++) a[i] = A + (m0 + (i < mb ? i : 0)) * lda;
    for (long j = 0; j < 4; j++) b[j] = B + (n0 + (j < nb ? j : 0)) * ldb;
    for (long i = 0; i < mb; i++)
        for (long j = 0; j < nb; j++) c[i][j] = acc[(m0 + i) * N + n0 + j];
    for (long k = k0; k < k1; k += 16) {
        v16 va[4], vb[4];
        for (long i = 0; i < mb; i++) va[i] = load16(a[i] + k);
        for (long j = 0; j < nb; j++) vb[j] = load16(b[j] + k);
        for (long i = 0; i < mb; i++)
            for (long j = 0; j < nb; j++) c[i][j] += va[i] * vb[j];
    }
    for (long i = 0; i < mb; i++)
        for (long j = 0; j < nb; j++) acc[(m0 + i) * N + n0 + j] = c[i][j];
}

CLONES void cairn_sgemm_nt_accumulate(long M, long N, long K, const float *A, long lda, const float *B, long ldb,
                                      float *partials) {
    v16 *acc = (v16 *)partials;
    long k16 = K & ~15L;
    for (long k0 = 0; k0 < k16; k0 += KB) {
        long k1 = k0 + KB < k16 ? k0 + KB : k16;
        for (long m = 0; m < M; m += 4) {
            long mb = M - m < 4 ? M - m : 4;
            for (long n = 0; n < N; n += 4) {
                long nb = N - n < 4 ? N - n : 4;
                if (mb == 4 && nb == 4) block(A, lda, B, ldb, acc, N, m, n, 4, 4, k0, k1);
                else block(A, lda, B, ldb, acc, N, m, n, mb, nb, k0, k1);
            }
        }
    }
    // The last K % 16 columns go to lane 0.
    for (long m = 0; m < M; m++)
        for (long n = 0; n < N; n++) {
            float s = 0;
            for (long k = k16; k < K; k++) s += A[m * lda + k] * B[n * ldb + k];
            acc[m * N + n][0] += s;
        }
}
