// How fast can one core copy random 64-byte rows out of a 64 MiB table on this machine?
// The ceiling for the replay table's uniform sampling (obs 4 rows are one cache line each).
//
//     cc -O2 -I../../Sources/CSupport/include random_rows.c ../../Sources/CSupport/ReplayGather.c -o /tmp/random_rows
//     /tmp/random_rows [rows]      (default 1048576; 100000 is rl-zoo's CartPole DQN buffer)
//
// Prints million rows/s (best of 4 half-second runs) for: a plain copy of each row (no
// prefetch), a copy with rows prefetched 24 ahead (the bare access pattern), and the table's own
// copy loop `rl_replay_gather` on the same rows. Batches of 256 random rows, xorshift indices,
// huge pages advised as the table does. Outputs are globals so the copies cannot be optimised
// away.
#include "CSupport.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

enum { BATCH = 256, DISTANCE = 24 };
static long ROWS = 1 << 20;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t state = 88172645463325252ull;
static uint64_t next_random(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }

long rows[BATCH], retry[BATCH];
float copied[BATCH * 16], observations[BATCH * 4], next_observations[BATCH * 4], rewards[BATCH], terminated[BATCH], truncated[BATCH];
int actions[BATCH];
unsigned long long keys[BATCH];

static double run(const char *table, int mode, const rl_replay_layout *layout, const rl_replay_outputs *out) {
    double best = 0;
    for (int repeat = 0; repeat < 4; repeat++) {
        long n = 0;
        double start = now(), elapsed;
        do {
            for (int b = 0; b < 1000; b++) {
                for (int i = 0; i < BATCH; i++) rows[i] = (long)((next_random() >> 11) % ROWS);
                if (mode == 0) {
                    for (int i = 0; i < BATCH; i++) memcpy(copied + i * 16, table + rows[i] * 64, 64);
                } else if (mode == 1) {
                    for (int i = 0; i < DISTANCE; i++) __builtin_prefetch(table + rows[i] * 64, 0, 3);
                    for (int i = 0; i < BATCH; i++) {
                        if (i + DISTANCE < BATCH) __builtin_prefetch(table + rows[i + DISTANCE] * 64, 0, 3);
                        memcpy(copied + i * 16, table + rows[i] * 64, 64);
                    }
                } else {
                    n -= rl_replay_gather(layout, rows, 0, BATCH, out, retry);
                }
                n += BATCH;
            }
            elapsed = now() - start;
        } while (elapsed < 0.5);
        if (n / elapsed > best) best = n / elapsed;
    }
    return best / 1e6;
}

int main(int argc, char **argv) {
    if (argc > 1) ROWS = atol(argv[1]);
    printf("%ld rows of 64 bytes\n", ROWS);
    size_t bytes = (size_t)ROWS * 64;
    char *table = aligned_alloc(2 << 20, bytes);
    madvise(table, bytes, MADV_HUGEPAGE);
    memset(table, 2, bytes);   // every stamp even and non-zero: every row readable
    rl_replay_layout layout = {
        .words = (const unsigned int *)table, .row_stride = 16, .next_observation_word = 7, .action_word = 11,
        .reward_word = 12, .flags_word = 13, .extras_word = 14, .observation_size = 4, .action_width = 1,
        .extras_width = 0, .discrete = 1,
    };
    rl_replay_outputs out = {
        .observations = observations, .next_observations = next_observations, .rewards = rewards,
        .terminated = terminated, .truncated = truncated, .action_indices = actions, .keys = keys,
    };
    printf("plain copy, no prefetch:   %.1f M rows/s\n", run(table, 0, &layout, &out));
    printf("copy, prefetch %d ahead:   %.1f M rows/s\n", DISTANCE, run(table, 1, &layout, &out));
    printf("rl_replay_gather:          %.1f M rows/s\n", run(table, 2, &layout, &out));
    return (int)(copied[5] + observations[3] + keys[7]) & 0;
}
