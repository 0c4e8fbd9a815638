/*
 * heap.c - the kernel heap: 8 MiB, first-fit, address-ordered free list.
 *
 * Every block starts with a 16-byte header {magic, size}; size counts the
 * header and is a multiple of 16, so payloads are 16-byte aligned (enough
 * for q registers). Free blocks keep a `next` pointer in their payload and
 * the free list is sorted by address, so kfree merges a block with both
 * neighbours in one pass and the heap never holds two adjacent free blocks.
 * Invariants checked by heap_check(): the list is sorted, every block lies
 * inside the heap, no two free blocks touch, and free + used bytes add up to
 * the heap size. kfree of a pointer that is not a live block is a kernel bug
 * and panics (it would otherwise corrupt the list silently).
 */
#include "../defs.h"

#define MAGIC_USED 0x5153ed01u
#define MAGIC_FREE 0x5153f4eeu
#define HDR 16u
#define MIN_BLOCK 32u

struct block {
    uint32_t magic;
    uint32_t pad;
    uint64_t size;
    struct block *next;     /* free blocks only: lives in the payload */
};

static uintptr_t base, limit;
static struct block *free_list;
static struct heap_stats st;

void heap_init(void *mem, size_t size)
{
    base = ((uintptr_t)mem + 15) & ~(uintptr_t)15;
    size -= base - (uintptr_t)mem;
    size &= ~(size_t)15;
    limit = base + size;
    free_list = (struct block *)base;
    free_list->magic = MAGIC_FREE;
    free_list->size = size;
    free_list->next = NULL;
    memset(&st, 0, sizeof(st));
    st.size = size;
}

uintptr_t heap_base(void)
{
    return base;
}

void *kmalloc(size_t n)
{
    if (n == 0 || n > st.size) {
        st.failures++;
        return NULL;
    }
    size_t need = (n + HDR + 15) & ~(size_t)15;
    if (need < MIN_BLOCK)
        need = MIN_BLOCK;
    struct block **pp = &free_list;
    for (struct block *b = free_list; b; pp = &b->next, b = b->next) {
        if (b->size < need)
            continue;
        if (b->size - need >= MIN_BLOCK) {  /* split: the tail stays free */
            struct block *rest = (struct block *)((uintptr_t)b + need);
            rest->magic = MAGIC_FREE;
            rest->size = b->size - need;
            rest->next = b->next;
            *pp = rest;
            b->size = need;
        } else {
            *pp = b->next;
        }
        b->magic = MAGIC_USED;
        st.in_use += b->size;
        if (st.in_use > st.peak)
            st.peak = st.in_use;
        st.allocs++;
        return (char *)b + HDR;
    }
    st.failures++;
    return NULL;
}

void *kcalloc(size_t count, size_t n)
{
    if (n && count > SIZE_MAX / n) {
        st.failures++;
        return NULL;
    }
    void *p = kmalloc(count * n);
    if (p)
        memset(p, 0, count * n);
    return p;
}

void kfree(void *p)
{
    if (!p)
        return;
    struct block *b = (struct block *)((uintptr_t)p - HDR);
    if ((uintptr_t)p & 15 || (uintptr_t)b < base || (uintptr_t)p >= limit)
        panic("kfree: %p is not a heap pointer", p);
    if (b->magic != MAGIC_USED)
        panic("kfree: %p is not an allocated block (double free?)", p);
    b->magic = MAGIC_FREE;
    st.in_use -= b->size;
    st.frees++;

    struct block *prev = NULL, *cur = free_list;
    while (cur && cur < b)
        prev = cur, cur = cur->next;
    b->next = cur;
    if (cur && (uintptr_t)b + b->size == (uintptr_t)cur) {
        b->size += cur->size;
        b->next = cur->next;
        cur->magic = 0;
    }
    if (prev && (uintptr_t)prev + prev->size == (uintptr_t)b) {
        prev->size += b->size;
        prev->next = b->next;
        b->magic = 0;
    } else if (prev) {
        prev->next = b;
    } else {
        free_list = b;
    }
}

void heap_stats(struct heap_stats *out)
{
    *out = st;
    out->free_blocks = 0;
    out->largest_free = 0;
    for (struct block *b = free_list; b; b = b->next) {
        out->free_blocks++;
        if (b->size > out->largest_free)
            out->largest_free = b->size;
    }
}

int heap_check(void)
{
    size_t free_bytes = 0;
    for (struct block *b = free_list; b; b = b->next) {
        uintptr_t a = (uintptr_t)b;
        if (a < base || a + b->size > limit || b->magic != MAGIC_FREE || b->size < MIN_BLOCK)
            return -1;
        if (b->next && (uintptr_t)b->next <= a + b->size)
            return -1;  /* unsorted, overlapping or touching (not merged) */
        free_bytes += b->size;
    }
    return free_bytes + st.in_use == st.size ? 0 : -1;
}
