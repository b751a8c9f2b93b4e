// The replay table's sampling copy loop (Memory/ReplayTable.swift, `gather`).
//
// Why C: the same loop in Swift, nested in nine `withUnsafeMutableBufferPointer` closures with
// overflow-checked index arithmetic, kept much of its state on the stack, and every check in
// the loop body delays the next cache miss. Measured with `swift package benchmark --target
// ReplayMemory` (sample256, back to back), Swift → C: obs 4 from 1M rows 33–36 → 48–49 million
// transitions/s, obs 17 from 1M rows 9–13 → 19M; from 100k rows (L3-resident) obs 4 runs at 77M. The bare
// access pattern, a prefetched random 64-byte copy with no checks (Benchmarks/Probes/
// random_rows.c), reaches about 71–75 million rows/s from 1M rows and 186M from 100k here.
//
// The protocol is the table's seqlock, unchanged (the argument is in ReplayTable.swift): an
// acquire load of the stamp; reject 0 (never written) and odd (being written); relaxed loads of
// the payload; an acquire fence; a relaxed reload of the stamp, kept only when equal. Every
// shared word is read with an __atomic builtin, so ThreadSanitizer sees atomics, as it does on
// the Swift writers' side. (A plain memcpy of the payload would be about 20% faster here, but
// it is a data race in C's memory model and TSan would rightly report it.)
#include "CSupport.h"
#include <stdint.h>

static inline uint32_t load_relaxed(const uint32_t *word) { return __atomic_load_n(word, __ATOMIC_RELAXED); }

static inline void copy_words(const uint32_t *source, float *destination, long n) {
    for (long j = 0; j < n; j++) {
        uint32_t bits = load_relaxed(source + j);
        __builtin_memcpy(destination + j, &bits, 4);
    }
}

static inline void prefetch_row(const uint32_t *row, long lines) {
    __builtin_prefetch(row, 0, 3);
    for (long line = 1; line < lines; line++) __builtin_prefetch((const char *)row + line * 64, 0, 3);
}

long rl_replay_gather(const rl_replay_layout *layout, const long *rows, long first, long count,
                      const rl_replay_outputs *out, long *retry) {
    // Everything the loops need, in locals: stores through the output pointers could otherwise
    // alias the layout's and outputs' fields (an int store may alias `discrete`), and the
    // compiler would reload them for every row.
    const uint32_t *const words = layout->words;
    const long stride = layout->row_stride, lines = stride / 16;
    const long obs = layout->observation_size, act = layout->action_width, extras = layout->extras_width;
    const long next_word = layout->next_observation_word, action_word = layout->action_word;
    const long reward_word = layout->reward_word, flags_word = layout->flags_word, extras_word = layout->extras_word;
    const int discrete = layout->discrete, recheck = !layout->skip_stamp_recheck;
    float *const observations = out->observations, *const next_observations = out->next_observations;
    float *const action_values = out->action_values, *const rewards = out->rewards;
    float *const terminated = out->terminated, *const truncated = out->truncated, *const extra_values = out->extras;
    int *const action_indices = out->action_indices;
    unsigned long long *const keys = out->keys;
    const long end = first + count;
    // One pass, rows prefetched this many ahead: enough misses in flight for one-line rows
    // without overflowing the core's miss queue for three-line rows (obs 17), where prefetching
    // every row up front ran at 7–8 instead of 11 million/s. (In C a single pass beat the two
    // passes, stamps first, that the Swift loop needed: 41–43 vs 37 million/s for obs 4.)
    const long distance = count < 24 ? count : 24;
    for (long i = first; i < first + distance; i++) prefetch_row(words + rows[i] * stride, lines);
    long failed = 0;
    for (long i = first; i < end; i++) {
        if (i + distance < end) prefetch_row(words + rows[i + distance] * stride, lines);
        const uint32_t *row = words + rows[i] * stride;
        const uint32_t s1 = __atomic_load_n(row + RL_REPLAY_STAMP_WORD, __ATOMIC_ACQUIRE);
        if (s1 == 0 || (s1 & 1)) { retry[failed++] = i; continue; }
        const uint64_t lo = load_relaxed(row + RL_REPLAY_KEY_WORD), hi = load_relaxed(row + RL_REPLAY_KEY_WORD + 1);
        // Observation and next observation in one loop: two loops of a run-time length cost
        // a fifth of the throughput when rows come from cache (100k obs-4 rows: 68 vs 85M/s).
        for (long j = 0; j < obs; j++) {
            const uint32_t now = load_relaxed(row + RL_REPLAY_OBSERVATION_WORD + j), next = load_relaxed(row + next_word + j);
            __builtin_memcpy(observations + i * obs + j, &now, 4);
            __builtin_memcpy(next_observations + i * obs + j, &next, 4);
        }
        if (discrete) {
            action_indices[i] = (int)load_relaxed(row + action_word);
        } else {
            copy_words(row + action_word, action_values + i * act, act);
        }
        copy_words(row + reward_word, rewards + i, 1);
        const uint32_t flags = load_relaxed(row + flags_word);
        if (extras > 0) copy_words(row + extras_word, extra_values + i * extras, extras);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (recheck && load_relaxed(row + RL_REPLAY_STAMP_WORD) != s1) { retry[failed++] = i; continue; }
        terminated[i] = (float)(flags & 1);
        truncated[i] = (float)((flags >> 1) & 1);
        keys[i] = lo | (hi << 32);
    }
    return failed;
}
