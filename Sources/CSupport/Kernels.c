// Elementwise kernels of the learner's hot path (Adam, ReLU, Polyak averaging, gradient norms).
//
// Why C: Swift compiles for baseline x86-64 (SSE2) unless the whole package is built with
// -target-cpu, which a package that others depend on cannot impose. Here each kernel has an
// AVX2+FMA variant (compiled for that target by attribute) and a portable one, chosen at run
// time from CPUID; on this project's machine the AVX2 Adam step is about 5x faster than the
// Swift SIMD8 loop it replaced (0.36 vs 1.9 ns per parameter, 200k parameters).
#include "CSupport.h"
#include <math.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define RL_HAVE_AVX2_PATH 1
static int rl_has_avx2(void) {
    // Collector threads and the learner may ask first at the same time: relaxed atomics make
    // that benign race a defined one (both store the same answer).
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known < 0) {
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return known;
}
#define AVX2 __attribute__((target("avx2,fma")))
#else
#define RL_HAVE_AVX2_PATH 0
#endif

// Adam (with decoupled decay): m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
// p ← p·decay − stepSize · m / (√v · invSqrtCorrection2 + ε).
static void adam_portable(float *p, const float *g, float *m, float *v, long n, float b1, float b2,
                          float stepSize, float invSqrtCorrection2, float eps, float decay) {
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + (1 - b1) * gi;
        float vi = b2 * v[i] + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * decay - stepSize * mi / (sqrtf(vi) * invSqrtCorrection2 + eps);
    }
}

#if RL_HAVE_AVX2_PATH
AVX2 static void adam_avx2(float *p, const float *g, float *m, float *v, long n, float b1, float b2,
                           float stepSize, float invSqrtCorrection2, float eps, float decay) {
    const __m256 vb1 = _mm256_set1_ps(b1), vc1 = _mm256_set1_ps(1 - b1);
    const __m256 vb2 = _mm256_set1_ps(b2), vc2 = _mm256_set1_ps(1 - b2);
    const __m256 vstep = _mm256_set1_ps(stepSize), vscale = _mm256_set1_ps(invSqrtCorrection2);
    const __m256 veps = _mm256_set1_ps(eps), vdecay = _mm256_set1_ps(decay);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 mi = _mm256_fmadd_ps(vb1, _mm256_loadu_ps(m + i), _mm256_mul_ps(vc1, gi));
        __m256 vi = _mm256_fmadd_ps(vb2, _mm256_loadu_ps(v + i), _mm256_mul_ps(vc2, _mm256_mul_ps(gi, gi)));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 denominator = _mm256_fmadd_ps(_mm256_sqrt_ps(vi), vscale, veps);
        __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), vdecay);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(pi, _mm256_div_ps(_mm256_mul_ps(vstep, mi), denominator)));
    }
    adam_portable(p + i, g + i, m + i, v + i, n - i, b1, b2, stepSize, invSqrtCorrection2, eps, decay);
}
#endif

void rl_adam_step(float *parameters, const float *gradients, float *m, float *v, long n, float beta1, float beta2,
                  float stepSize, float invSqrtCorrection2, float epsilon, float decay) {
#if RL_HAVE_AVX2_PATH
    if (rl_has_avx2()) { adam_avx2(parameters, gradients, m, v, n, beta1, beta2, stepSize, invSqrtCorrection2, epsilon, decay); return; }
#endif
    adam_portable(parameters, gradients, m, v, n, beta1, beta2, stepSize, invSqrtCorrection2, epsilon, decay);
}

// The loops below vectorize as written; the AVX2 copies differ only in the target they are
// compiled for (8 lanes and FMA instead of SSE2's 4).
#define RELU_FORWARD_BODY for (long i = 0; i < n; i++) x[i] = x[i] < 0 ? 0 : x[i];  /* NaN passes through, as max would not */
#define RELU_BACKWARD_BODY for (long i = 0; i < n; i++) grad[i] = output[i] <= 0 ? 0 : grad[i];
#define POLYAK_BODY for (long i = 0; i < n; i++) target[i] = target[i] * keep + source[i] * tau;
#define SCALE_BODY for (long i = 0; i < n; i++) x[i] *= factor;
#define FILL_ROWS_BODY for (long r = 0; r < rows; r++) for (long c = 0; c < columns; c++) y[r * columns + c] = row[c];
/* y = f(y + row) per row, f = ReLU (NaN passes through, as above) or identity. */
#define ADD_ROWS_BODY \
    for (long r = 0; r < rows; r++) { \
        float *restrict out = y + r * columns; \
        if (relu) for (long c = 0; c < columns; c++) { float v = out[c] + row[c]; out[c] = v < 0 ? 0 : v; } \
        else for (long c = 0; c < columns; c++) out[c] += row[c]; \
    }

/* tanh without libm calls, so the loop vectorizes (glibc's tanhf, a scalar call per element,
   took 70% of a PPO run with tanh networks). |x| < 0.55: the odd Taylor series through x¹⁵
   (truncation below 3e-8); else (1 − t)/(1 + t) with t = e^{−2|x|} = 2^k·e^u, k = round(−2|x|·log₂e),
   |u| ≤ ln2/2, e^u by its Taylor series through u⁷ (relative error below 1e-8); |x| is capped
   at 9, where tanh is 1 in float. Within 3 ulp of tanhf over [−10, 10] (tested). */
#define TANH_BODY \
    for (long i = 0; i < n; i++) { \
        float v = x[i]; \
        float a = v < 0 ? -v : v; \
        a = a > 9.0f ? 9.0f : a; \
        float a2 = a * a; \
        float series = a * (1.0f + a2 * (-1.0f / 3 + a2 * (2.0f / 15 + a2 * (-17.0f / 315 + a2 * (62.0f / 2835 \
                       + a2 * (-1382.0f / 155925 + a2 * (21844.0f / 6081075 + a2 * (-929569.0f / 638512875.0f)))))))); \
        float z = -2.0f * a * 1.4426950408889634f; \
        float k = (z + 12582912.0f) - 12582912.0f; \
        float u = (z - k) * 0.6931471805599453f; \
        float eu = 1.0f + u * (1.0f + u * (0.5f + u * (1.0f / 6 + u * (1.0f / 24 + u * (1.0f / 120 + u * (1.0f / 720 + u * (1.0f / 5040))))))); \
        int bits = ((int)k + 127) << 23; \
        float scale; __builtin_memcpy(&scale, &bits, sizeof scale); \
        float t = eu * scale; \
        float r = a < 0.55f ? series : (1.0f - t) / (1.0f + t); \
        x[i] = v < 0 ? -r : (v != v ? v : r); \
    }
#define TANH_BACKWARD_BODY for (long i = 0; i < n; i++) grad[i] *= 1 - output[i] * output[i];

static void tanh_forward_portable(float *restrict x, long n) { TANH_BODY }
static void tanh_backward_portable(float *restrict grad, const float *restrict output, long n) { TANH_BACKWARD_BODY }
static void relu_forward_portable(float *restrict x, long n) { RELU_FORWARD_BODY }
static void relu_backward_portable(float *restrict grad, const float *restrict output, long n) { RELU_BACKWARD_BODY }
static void polyak_portable(float *restrict target, const float *restrict source, long n, float tau, float keep) { POLYAK_BODY }
static void scale_portable(float *restrict x, long n, float factor) { SCALE_BODY }
static void fill_rows_portable(float *restrict y, const float *restrict row, long rows, long columns) { FILL_ROWS_BODY }
static void add_rows_portable(float *restrict y, const float *restrict row, long rows, long columns, int relu) { ADD_ROWS_BODY }
#if RL_HAVE_AVX2_PATH
AVX2 static void tanh_forward_avx2(float *restrict x, long n) { TANH_BODY }
AVX2 static void tanh_backward_avx2(float *restrict grad, const float *restrict output, long n) { TANH_BACKWARD_BODY }
AVX2 static void relu_forward_avx2(float *restrict x, long n) { RELU_FORWARD_BODY }
AVX2 static void relu_backward_avx2(float *restrict grad, const float *restrict output, long n) { RELU_BACKWARD_BODY }
AVX2 static void polyak_avx2(float *restrict target, const float *restrict source, long n, float tau, float keep) { POLYAK_BODY }
AVX2 static void scale_avx2(float *restrict x, long n, float factor) { SCALE_BODY }
AVX2 static void fill_rows_avx2(float *restrict y, const float *restrict row, long rows, long columns) { FILL_ROWS_BODY }
AVX2 static void add_rows_avx2(float *restrict y, const float *restrict row, long rows, long columns, int relu) { ADD_ROWS_BODY }
#define DISPATCH(name, ...) do { if (rl_has_avx2()) name##_avx2(__VA_ARGS__); else name##_portable(__VA_ARGS__); } while (0)
#else
#define DISPATCH(name, ...) name##_portable(__VA_ARGS__)
#endif

void rl_relu_forward(float *x, long n) { DISPATCH(relu_forward, x, n); }
#if RL_HAVE_AVX2_PATH
/* tanh is the one elementwise kernel that is compute-bound (about 40 vector operations per
   element), so it gets a 16-lane variant where the CPU has AVX-512: the same operations per
   element, so the same bits as the AVX2 variant. */
#define AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")))
AVX512 static void tanh_forward_avx512(float *restrict x, long n) { TANH_BODY }
static int rl_has_avx512(void) {
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known < 0) {
        known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512bw") && rl_has_avx2();
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return known;
}
void rl_tanh_forward(float *x, long n) { if (rl_has_avx512()) tanh_forward_avx512(x, n); else DISPATCH(tanh_forward, x, n); }
#else
void rl_tanh_forward(float *x, long n) { DISPATCH(tanh_forward, x, n); }
#endif
void rl_tanh_backward(float *gradient, const float *output, long n) { DISPATCH(tanh_backward, gradient, output, n); }
void rl_relu_backward(float *gradient, const float *output, long n) { DISPATCH(relu_backward, gradient, output, n); }
void rl_polyak(float *target, const float *source, long n, float tau) { DISPATCH(polyak, target, source, n, tau, 1 - tau); }
void rl_scale(float *x, long n, float factor) { DISPATCH(scale, x, n, factor); }
void rl_fill_rows(float *y, const float *row, long rows, long columns) { DISPATCH(fill_rows, y, row, rows, columns); }
void rl_add_rows(float *y, const float *row, long rows, long columns, int relu) { DISPATCH(add_rows, y, row, rows, columns, relu); }

// Σ x², eight float partial sums per 64 elements carried into a double: vectorizable and still
// accurate over millions of elements.
#define SUM_SQUARES_BODY \
    double sum = 0; long i = 0; \
    for (; i + 64 <= n; i += 64) { \
        float lanes[8] = {0}; \
        for (long j = 0; j < 64; j += 8) \
            for (int k = 0; k < 8; k++) lanes[k] += x[i + j + k] * x[i + j + k]; \
        float s = 0; for (int k = 0; k < 8; k++) s += lanes[k]; \
        sum += s; \
    } \
    for (; i < n; i++) sum += (double)x[i] * x[i]; \
    return sum;
static double sum_squares_portable(const float *restrict x, long n) { SUM_SQUARES_BODY }
#if RL_HAVE_AVX2_PATH
AVX2 static double sum_squares_avx2(const float *restrict x, long n) { SUM_SQUARES_BODY }
#endif
double rl_sum_squares(const float *x, long n) {
#if RL_HAVE_AVX2_PATH
    if (rl_has_avx2()) return sum_squares_avx2(x, n);
#endif
    return sum_squares_portable(x, n);
}
