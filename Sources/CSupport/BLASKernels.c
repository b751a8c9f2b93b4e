// OpenBLAS (a DYNAMIC_ARCH build, as Debian's) picks its kernels by CPU model at load time, and a
// model newer than the library falls back to the generic "Prescott" (SSE3) kernels: on an Intel
// Xeon of family 6, model 207, Debian 12's OpenBLAS 0.3.21 did exactly that, and the learner's
// 256-wide products ran 3x slower (a MountainCar DQN run: 20.7 s with Prescott, 6.4 s with
// SkylakeX). OPENBLAS_CORETYPE fixes it, but only if set before the library loads. This
// constructor runs after OpenBLAS's own (a program's constructors run after those of the
// libraries it needs) and before any code of ours: when OpenBLAS chose a generic kernel and the
// CPU can run a better one, it selects that one through OpenBLAS's exported
// gotoblas_dynamic_quit / gotoblas_dynamic_init, the pair that reads OPENBLAS_CORETYPE. A
// coretype the user set is left alone; the symbols are weak, so a program without OpenBLAS, or
// an OpenBLAS built for one CPU, is untouched.
#include "CSupport.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));
extern char *openblas_get_corename(void) __attribute__((weak));

static const char *rl_blas_fallback_kernel = NULL;

const char *rl_blas_replaced_kernel(void) { return rl_blas_fallback_kernel; }

static int rl_is_generic_kernel(const char *name) {
    static const char *generic[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Katmai", "Coppermine",
                                    "Northwood", "Banias", "Atom", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Unknown"};
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++) {
        if (strcasecmp(name, generic[i]) == 0) return 1;
    }
    return 0;
}

__attribute__((constructor)) static void rl_blas_upgrade_generic_kernels(void) {
    if (!openblas_get_corename || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;
    if (getenv("OPENBLAS_CORETYPE") != NULL) return;
    const char *chosen = openblas_get_corename();
    if (chosen == NULL || !rl_is_generic_kernel(chosen)) return;
    __builtin_cpu_init();
    const char *better = NULL;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq")) {
        better = "SkylakeX";
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        better = "Haswell";
    } else if (__builtin_cpu_supports("avx")) {
        better = "Sandybridge";
    }
    if (better == NULL) return;
    rl_blas_fallback_kernel = chosen;   // a string literal inside OpenBLAS
    setenv("OPENBLAS_CORETYPE", better, 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");   // the process's environment stays as it was given
}
