#ifndef CSUPPORT_H
#define CSUPPORT_H

/* glibc's sincos: sine and cosine of one argument in one call. On glibc it shares the
 * argument reduction and kernels of sin() and cos() and returns bit-identical results
 * (checked in EnvsTests), at about 60% of the cost of the two calls. Declared here because
 * Swift's Glibc module does not export this GNU extension. */
extern void sincos(double x, double *sine, double *cosine);

static inline void rl_sincos(double x, double *sine, double *cosine) {
    sincos(x, sine, cosine);
}

/* Hints the processor to fetch the cache line at `address` for reading. The replay table
 * issues one per sampled row before copying any, so the rows' cache misses overlap. */
static inline void rl_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/* Asks the kernel to back [address, address + length) with transparent huge pages: a large
 * replay table is read at random, and 2 MiB pages cut its TLB misses. Returns 0 on success;
 * failure (no THP support) is harmless. */
int rl_advise_huge_pages(void *address, unsigned long length);

/// The generic kernel OpenBLAS first chose and this process replaced at start (BLASKernels.c),
/// or NULL when OpenBLAS's own choice stood.
const char *rl_blas_replaced_kernel(void);

/* Elementwise kernels of the learner's hot path (Kernels.c): AVX2+FMA when the CPU has it,
 * portable loops otherwise. Counts are element counts. */
/* One Adam step over n parameters (see NN/Adam.swift for the formula). */
void rl_adam_step(float *parameters, const float *gradients, float *m, float *v, long n, float beta1, float beta2,
                  float stepSize, float invSqrtCorrection2, float epsilon, float decay);
/* x = max(x, 0), in place. */
void rl_relu_forward(float *x, long n);
/* In place: x = tanh(x), vectorized (within 3 ulp of tanhf). */
void rl_tanh_forward(float *x, long n);
/* In place: gradient *= 1 − output², output = tanh of the forward's input. */
void rl_tanh_backward(float *gradient, const float *output, long n);
/* gradient = 0 where output <= 0 (ReLU's derivative from its output). */
void rl_relu_backward(float *gradient, const float *output, long n);
/* target = (1 - tau) target + tau source. */
void rl_polyak(float *target, const float *source, long n, float tau);
/* x *= factor. */
void rl_scale(float *x, long n, float factor);
/* Every row of y (rows, columns) = row: a layer's bias before its product is added (one call
 * instead of a memmove per row, which cost 4% of a DQN update at batch 64). */
void rl_fill_rows(float *y, const float *row, long rows, long columns);
/* Every row of y (rows, columns) += row, then ReLU when `relu` is non-zero: a layer's bias and
 * activation in one pass, for products that overwrite y (the small-matrix path). */
void rl_add_rows(float *y, const float *row, long rows, long columns, int relu);
/* The sum of squares of x, accumulated in double. */
double rl_sum_squares(const float *x, long n);

/* The replay table's row layout (Memory/ReplayTable.swift): offsets in 32-bit words. */
#define RL_REPLAY_STAMP_WORD 0
#define RL_REPLAY_KEY_WORD 1
#define RL_REPLAY_OBSERVATION_WORD 3
typedef struct {
    const unsigned int *words;
    long row_stride, next_observation_word, action_word, reward_word, flags_word, extras_word;
    long observation_size, action_width, extras_width;
    int discrete;
    /* Tests only (ReplayTable.skipsStampRecheckForTesting): take rows without the second stamp
     * load, so the stress tests can show that they catch the tears it prevents. Always 0 otherwise. */
    int skip_stamp_recheck;
} rl_replay_layout;

/* Where a sampled batch goes; position i of each column receives row rows[i]. */
typedef struct {
    float *observations, *next_observations, *action_values, *rewards, *terminated, *truncated, *extras;
    int *action_indices;
    unsigned long long *keys;
} rl_replay_outputs;

/* Copies rows[i] for i in [first, first + count) into position i of `out` under the table's
 * seqlock (ReplayGather.c). Returns how many rows were being written or not yet written and puts
 * their positions in `retry` (the caller redraws them); every other position is complete and
 * consistent. */
long rl_replay_gather(const rl_replay_layout *layout, const long *rows, long first, long count,
                      const rl_replay_outputs *out, long *retry);

/* posix_spawn_file_actions_addclosefrom_np(actions, from): the spawned child closes every
 * descriptor >= from (SpawnCloseFrom.c). `actions` is a posix_spawn_file_actions_t *. */
int rl_spawn_actions_close_from(void *actions, int from);

#endif
