// sincos and prefetch are static inline in the header; the huge-page advice needs sys/mman.h.
#include "CSupport.h"
#include <sys/mman.h>

int rl_advise_huge_pages(void *address, unsigned long length) {
#ifdef MADV_HUGEPAGE
    return madvise(address, length, MADV_HUGEPAGE);
#else
    (void)address; (void)length;
    return -1;
#endif
}
