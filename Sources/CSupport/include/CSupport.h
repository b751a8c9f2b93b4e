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

#endif
