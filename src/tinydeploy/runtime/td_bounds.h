/* td_bounds.h - the bounds-checking build of a generated network (-DTD_BOUNDS_CHECK,
 * `make bounds`, meant for AddressSanitizer: -fsanitize=address,undefined).
 *
 * Only the network's .c includes this file, and only when TD_BOUNDS_CHECK is defined: the
 * normal build has no heap, no copies and no checks. In the bounds build every kernel
 * call reads and writes heap blocks of exactly the planned size of each of its arena
 * buffers instead of the arena itself: inputs are copied in before the call, outputs
 * start as 0xA5 bytes (a kernel that leaves an output byte unwritten changes the result)
 * and are copied back after it. So any read or write of a kernel outside the buffers the
 * memory planner gave it - which in the normal build lands silently in a neighbouring
 * tensor of the arena - is a heap-buffer-overflow report naming the kernel. Constants
 * are exact-size const arrays already (ASan guards globals).
 */
#ifndef TD_BOUNDS_H
#define TD_BOUNDS_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A block of exactly n bytes: a copy of src, or 0xA5 bytes when src is NULL. */
static inline void *td_bounds_block(const void *src, size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) abort();
    if (src != NULL) memcpy(p, src, n);
    else memset(p, 0xA5, n);
    return p;
}

/* Release a block; an output block (dst != NULL) is copied back to dst first. */
static inline void td_bounds_release(void *dst, void *block, size_t n)
{
    if (dst != NULL) memcpy(dst, block, n);
    free(block);
}

#endif /* TD_BOUNDS_H */
