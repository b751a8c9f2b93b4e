#ifndef RL_SMALL_GEMM_H
#define RL_SMALL_GEMM_H

/// Dense-layer products for small matrices through libxsmm's JIT-generated kernels, which skip
/// the packing and blocking that make OpenBLAS slow below ~128 per side. Every function returns
/// 1 when it computed the product and 0 when libxsmm has no kernel for this CPU or shape (the
/// caller then uses BLAS). All matrices are row-major and dense.

/// y(B, O) = x(B, I) · w(O, I)ᵀ (overwrites y; the caller adds the bias in its activation pass,
/// which reads y anyway). `scratch` holds at least I·O floats (w is transposed into it).
int rl_small_linear_forward(float *y, const float *x, const float *w, float *scratch,
                            int batch, int in_features, int out_features);

/// dw(O, I) += dy(B, O)ᵀ · x(B, I).
int rl_small_linear_dweight(float *dw, const float *dy, const float *x,
                            int batch, int in_features, int out_features);

/// dx(B, I) = dy(B, O) · w(O, I).
int rl_small_linear_dinput(float *dx, const float *dy, const float *w,
                           int batch, int in_features, int out_features);

#endif
