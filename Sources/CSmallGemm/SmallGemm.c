#include "SmallGemm.h"
#include <libxsmm.h>

// Row-major products are computed as their column-major transposes (libxsmm is column-major):
// row-major C(m×n) = A·B is column-major Cᵀ = Bᵀ·Aᵀ with the same buffers and leading
// dimensions. libxsmm 1.17 JIT-compiles kernels with a transposed second operand but not a
// transposed first one, which fixes how each product below is phrased.

int rl_small_linear_forward(float *y, const float *x, const float *w, float *scratch,
                            int batch, int in_features, int out_features) {
    // yᵀ(O×B) = wᵀᵀ·xᵀ: needs w as a column-major O×I matrix, i.e. wᵀ stored row-major (I, O).
    const libxsmm_blasint m = out_features, n = batch, k = in_features;
    const libxsmm_blasint lda = out_features, ldb = in_features, ldc = out_features;
    const float alpha = 1, beta = 1;
    const int flags = LIBXSMM_GEMM_FLAG_NONE;
    libxsmm_smmfunction kernel = libxsmm_smmdispatch(m, n, k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
    if (kernel == NULL) return 0;
    // w (O, I) row-major is column-major I×O; its transpose (column-major O×I, ld O) into scratch.
    libxsmm_otrans(scratch, w, sizeof(float), in_features, out_features, in_features, out_features);
    kernel(scratch, x, y);
    return 1;
}

int rl_small_linear_dweight(float *dw, const float *dy, const float *x,
                            int batch, int in_features, int out_features) {
    // dwᵀ(I×O, column-major) = xᵀ(I×B) · dy(B×O): x row-major (B, I) is column-major I×B;
    // dy row-major (B, O) is column-major O×B, used transposed.
    const libxsmm_blasint m = in_features, n = out_features, k = batch;
    const libxsmm_blasint lda = in_features, ldb = out_features, ldc = in_features;
    const float alpha = 1, beta = 1;
    const int flags = LIBXSMM_GEMM_FLAG_TRANS_B;
    libxsmm_smmfunction kernel = libxsmm_smmdispatch(m, n, k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
    if (kernel == NULL) return 0;
    kernel(x, dy, dw);
    return 1;
}

int rl_small_linear_dinput(float *dx, const float *dy, const float *w,
                           int batch, int in_features, int out_features) {
    // dxᵀ(I×B) = wᵀ(I×O) · dyᵀ(O×B): w row-major (O, I) is column-major I×O, dy is O×B.
    const libxsmm_blasint m = in_features, n = batch, k = out_features;
    const libxsmm_blasint lda = in_features, ldb = out_features, ldc = in_features;
    const float alpha = 1, beta = 0;
    const int flags = LIBXSMM_GEMM_FLAG_NONE;
    libxsmm_smmfunction kernel = libxsmm_smmdispatch(m, n, k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
    if (kernel == NULL) return 0;
    kernel(w, dy, dx);
    return 1;
}
