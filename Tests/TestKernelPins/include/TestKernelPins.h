#ifndef TEST_KERNEL_PINS_H
#define TEST_KERNEL_PINS_H

/* What the test process pinned at start (TestKernelPins.c): "OPENBLAS_CORETYPE=... LIBXSMM_TARGET=...",
 * or why it pinned nothing. */
const char *rl_test_kernel_pins(void);

#endif
