#ifndef CLIBM_EXTRAS_H
#define CLIBM_EXTRAS_H

/* glibc's sincos: sine and cosine of one argument in one call. On glibc it shares the
 * argument reduction and kernels of sin() and cos() and returns bit-identical results
 * (checked in EnvsTests), at about 60% of the cost of the two calls. Declared here because
 * Swift's Glibc module does not export this GNU extension. */
extern void sincos(double x, double *sine, double *cosine);

static inline void rl_sincos(double x, double *sine, double *cosine) {
    sincos(x, sine, cosine);
}

#endif
