// glibc's malloc tuning (mallopt's constants are not visible to Swift through Glibc).
#include "ckernels.h"
#include <stdlib.h>  // defines __GLIBC__ (through features.h) where glibc is the C library
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int cairn_keep_freed_buffers(long mmap_threshold, long trim_threshold) {
#if defined(__GLIBC__)
    int a = mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
    int b = mallopt(M_TRIM_THRESHOLD, (int)trim_threshold);
    return a == 1 && b == 1;
#else
    (void)mmap_threshold; (void)trim_threshold;
    return 0;
#endif
}
