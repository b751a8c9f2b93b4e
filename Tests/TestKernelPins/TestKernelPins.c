// The deterministic learning tests expect exact figures, and those hold only for one choice of
// kernels: OpenBLAS and libxsmm pick theirs by CPU (AVX-512 kernels on newer Xeons and EPYCs,
// AVX2 ones on older machines), and kernels of other widths sum in other orders. The test
// process pins the AVX2+FMA kernels (OpenBLAS "Haswell", libxsmm "hsw"), which every AVX2+FMA
// x86 machine runs, before any test starts, so a plain `swift test` and scripts/test.sh agree
// everywhere. A kernel choice the caller made (OPENBLAS_CORETYPE, LIBXSMM_TARGET) is kept.
// The variables stay set, so rl-train processes the tests start run the same kernels.
//
// OpenBLAS reads OPENBLAS_CORETYPE when it loads, before this constructor; it chooses again
// through gotoblas_dynamic_quit / gotoblas_dynamic_init (exported by its DYNAMIC_ARCH builds,
// as Sources/CSupport/BLASKernels.c uses them). libxsmm takes its target at any time before it
// generates code.
#include "TestKernelPins.h"
#include <libxsmm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));
extern char *openblas_get_corename(void) __attribute__((weak));

static char rl_pins[256] = "nothing pinned";

const char *rl_test_kernel_pins(void) { return rl_pins; }

__attribute__((constructor)) static void rl_test_pin_kernels(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        snprintf(rl_pins, sizeof rl_pins, "nothing pinned: this CPU lacks AVX2 or FMA, so the exact learning figures "
                 "(found with OPENBLAS_CORETYPE=Haswell LIBXSMM_TARGET=hsw) may not hold");
        return;
    }
    if (getenv("OPENBLAS_CORETYPE") == NULL) {
        setenv("OPENBLAS_CORETYPE", "Haswell", 1);
        if (openblas_get_corename && gotoblas_dynamic_quit && gotoblas_dynamic_init
            && strcasecmp(openblas_get_corename(), "Haswell") != 0) {
            gotoblas_dynamic_quit();
            gotoblas_dynamic_init();
        }
    }
    if (getenv("LIBXSMM_TARGET") == NULL) setenv("LIBXSMM_TARGET", "hsw", 1);
    libxsmm_set_target_arch(getenv("LIBXSMM_TARGET"));
    snprintf(rl_pins, sizeof rl_pins, "OPENBLAS_CORETYPE=%s LIBXSMM_TARGET=%s",
             openblas_get_corename ? openblas_get_corename() : "(no OpenBLAS)", libxsmm_get_target_arch());
#endif
}
