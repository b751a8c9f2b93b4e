#include "SmallGemm.h"
#include <libxsmm.h>

// Row-major products are computed as their column-major transposes (libxsmm is column-major):
// row-major C(m×n) = A·B is column-major Cᵀ = Bᵀ·Aᵀ with the same buffers and leading
// dimensions. libxsmm 1.17 JIT-compiles kernels with a transposed second operand but not a
// transposed first one, which fixes how each product below is phrased.

/// Dispatches (libxsmm caches the generated code) and runs one column-major product
/// c = a·op(b) + beta·c, op(b) = bᵀ when `flags` has LIBXSMM_GEMM_FLAG_TRANS_B; 0 when there is no kernel.
static int run(libxsmm_blasint m, libxsmm_blasint n, libxsmm_blasint k, libxsmm_blasint lda, libxsmm_blasint ldb,
               libxsmm_blasint ldc, float beta, int flags, const float *a, const float *b, float *c) {
    const float alpha = 1;
    libxsmm_smmfunction kernel = libxsmm_smmdispatch(m, n, k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
    if (kernel == NULL) return 0;
    kernel(a, b, c);
    return 1;
}

int rl_small_linear_forward(float *y, const float *x, const float *w, float *scratch,
                            int batch, int in_features, int out_features) {
    // yᵀ(O×B) = w·xᵀ: needs w as a column-major O×I matrix, i.e. wᵀ stored row-major (I, O);
    // w (O, I) row-major is column-major I×O, transposed into scratch (column-major O×I, ld O).
    libxsmm_otrans(scratch, w, sizeof(float), in_features, out_features, in_features, out_features);
    return run(out_features, batch, in_features, out_features, in_features, out_features, 0, LIBXSMM_GEMM_FLAG_NONE,
               scratch, x, y);
}

int rl_small_linear_dweight(float *dw, const float *dy, const float *x,
                            int batch, int in_features, int out_features) {
    // dwᵀ(I×O, column-major) = xᵀ(I×B) · dy(B×O): x row-major (B, I) is column-major I×B;
    // dy row-major (B, O) is column-major O×B, used transposed.
    return run(in_features, out_features, batch, in_features, out_features, in_features, 1, LIBXSMM_GEMM_FLAG_TRANS_B,
               x, dy, dw);
}

int rl_small_linear_dinput(float *dx, const float *dy, const float *w,
                           int batch, int in_features, int out_features) {
    // dxᵀ(I×B) = wᵀ(I×O) · dyᵀ(O×B): w row-major (O, I) is column-major I×O, dy is O×B.
    return run(in_features, batch, out_features, in_features, out_features, in_features, 0, LIBXSMM_GEMM_FLAG_NONE,
               w, dy, dx);
}
