/* tests/unit/test_outq.c — the bounded outbound queue: order, byte and frame
 * limits, reference counting, giving memory back when drained, and droppable
 * frames giving way before an overflow. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clients/outq.h"

static struct frame *mk(const char *s) { return frame_new_copy(s, __builtin_strlen(s)); }

static void test_fifo_and_refs(void **state)
{
    struct outq q;
    outq_init(&q);
    struct frame *a = mk("aa"), *b = mk("bbb");
    assert_int_equal(outq_push(&q, a, 100, 0), 0);
    assert_int_equal(outq_push(&q, b, 100, 0), 0);
    assert_int_equal(a->refs, 2);
    assert_int_equal(q.count, 2);
    assert_int_equal(q.bytes, 5);
    assert_ptr_equal(outq_peek(&q, 0), a);
    assert_ptr_equal(outq_peek(&q, 1), b);
    outq_pop(&q);
    assert_int_equal(a->refs, 1);
    assert_ptr_equal(outq_peek(&q, 0), b);
    assert_int_equal(q.bytes, 3);
    outq_free(&q);
    assert_int_equal(b->refs, 1);
    frame_unref(a);
    frame_unref(b);
}

static void test_byte_limit(void **state)
{
    struct outq q;
    outq_init(&q);
    struct frame *f = mk("0123456789");
    for (int i = 0; i < 10; i++)
        assert_int_equal(outq_push(&q, f, 100, 0), 0);
    assert_int_equal(outq_push(&q, f, 100, 0), -ENOBUFS);
    assert_int_equal(q.count, 10);
    outq_free(&q);
    /* a single oversized frame is accepted into an empty queue */
    assert_int_equal(outq_push(&q, f, 5, 0), 0);
    assert_int_equal(outq_push(&q, f, 5, 0), -ENOBUFS);
    outq_free(&q);
    /* bytes still in flight outside the queue (lws's partial buffer) count */
    assert_int_equal(outq_push(&q, f, 100, 91), -ENOBUFS);
    assert_int_equal(outq_push(&q, f, 100, 90), 0);
    assert_int_equal(outq_push(&q, f, 100, 81), -ENOBUFS);
    outq_free(&q);
    assert_int_equal(outq_push(&q, f, 5, 1), -ENOBUFS); /* not idle: no oversize exception */
    assert_int_equal(f->refs, 1);
    frame_unref(f);
}

static void test_frame_limit_and_wraparound(void **state)
{
    struct outq q;
    outq_init(&q);
    struct frame *f = mk("x");
    uint32_t pushed = 0;
    while (outq_push(&q, f, SIZE_MAX, 0) == 0)
        pushed++;
    assert_int_equal(pushed, OUTQ_MAX_FRAMES);
    /* wrap the ring: pop half, push half, order stays FIFO by count */
    for (uint32_t i = 0; i < OUTQ_MAX_FRAMES / 2; i++)
        outq_pop(&q);
    for (uint32_t i = 0; i < OUTQ_MAX_FRAMES / 2; i++)
        assert_int_equal(outq_push(&q, f, SIZE_MAX, 0), 0);
    assert_int_equal(q.count, OUTQ_MAX_FRAMES);
    while (q.count)
        outq_pop(&q);
    assert_null(q.ring); /* drained: memory returned */
    assert_int_equal(q.bytes, 0);
    assert_int_equal(f->refs, 1);
    frame_unref(f);
    outq_free(&q);
}

static void test_small_ring_kept_until_trim(void **state)
{
    struct outq q;
    outq_init(&q);
    struct frame *f = mk("y");
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 10; i++)
            assert_int_equal(outq_push(&q, f, SIZE_MAX, 0), 0);
        while (q.count)
            outq_pop(&q);
        assert_non_null(q.ring); /* a busy client reuses its ring: no allocation per write */
        assert_true(q.cap <= OUTQ_KEEP);
    }
    outq_trim(&q);
    assert_null(q.ring); /* idle: memory returned */
    assert_int_equal(q.cap, 0);
    assert_int_equal(outq_push(&q, f, SIZE_MAX, 0), 0);
    outq_trim(&q); /* not empty: kept */
    assert_non_null(q.ring);
    assert_ptr_equal(outq_peek(&q, 0), f);
    outq_free(&q);
    assert_int_equal(f->refs, 1);
    frame_unref(f);
}

static struct frame *mkd(const char *s)
{
    struct frame *f = mk(s);
    frame_set_class(f, FRAME_DROPPABLE);
    return f;
}

/* The queue's byte total and droppable accounting, recomputed from the ring. */
static void check_accounting(const struct outq *q)
{
    size_t bytes = 0, dbytes = 0;
    uint32_t nd = 0;
    for (uint32_t i = 0; i < q->count; i++) {
        struct frame *f = outq_peek(q, i);
        bytes += f->len;
        if (frame_droppable(f)) {
            nd++;
            dbytes += f->len;
        }
    }
    assert_int_equal(q->bytes, bytes);
    assert_int_equal(q->ndrop, nd);
    assert_int_equal(q->drop_bytes, dbytes);
}

static void test_class_defaults_normal(void **state)
{
    struct frame *f = mk("n");
    assert_int_equal(f->cls, FRAME_NORMAL);
    assert_false(frame_droppable(f));
    struct wbuf b;
    wbuf_init(&b);
    wbuf_puts(&b, "w");
    struct frame *g = wbuf_finish(&b);
    assert_non_null(g);
    assert_int_equal(g->cls, FRAME_NORMAL);
    frame_set_class(g, FRAME_DROPPABLE);
    assert_true(frame_droppable(g));
    frame_unref(f);
    frame_unref(g);
}

static void test_droppable_incoming_dropped(void **state)
{
    struct outq q;
    outq_init(&q);
    struct frame *n = mk("0123456789"), *d = mkd("dd");
    for (int i = 0; i < 9; i++)
        assert_int_equal(outq_push(&q, n, 100, 0), 0);
    assert_int_equal(outq_push(&q, d, 100, 0), 0); /* fits: queued like any frame */
    assert_int_equal(q.bytes, 92);
    assert_int_equal(q.ndrop, 1);
    assert_int_equal(outq_push(&q, d, 100, 0), 0); /* 94 */
    assert_int_equal(outq_push(&q, d, 100, 0), 0); /* 96 */
    assert_int_equal(outq_push(&q, d, 100, 0), 0); /* 98 */
    assert_int_equal(outq_push(&q, d, 100, 0), 0); /* 100: exactly full */
    assert_int_equal(q.dropped, 0);
    /* full: an incoming droppable frame is dropped, nothing else changes */
    assert_int_equal(outq_push(&q, d, 100, 0), OUTQ_DROPPED);
    assert_int_equal(q.dropped, 1);
    assert_int_equal(q.count, 14);
    assert_int_equal(q.bytes, 100);
    assert_int_equal(d->refs, 1 + 5); /* no reference taken for the dropped push */
    /* bytes in flight count for droppable frames too */
    outq_pop(&q);
    assert_int_equal(outq_push(&q, d, 100, 9), OUTQ_DROPPED);
    assert_int_equal(outq_push(&q, d, 100, 8), 0);
    assert_int_equal(q.dropped, 2);
    check_accounting(&q);
    outq_free(&q);
    assert_int_equal(d->refs, 1);
    assert_int_equal(n->refs, 1);
    /* an idle queue takes an oversized droppable frame like a normal one */
    struct frame *big = mkd("0123456789");
    assert_int_equal(outq_push(&q, big, 5, 0), 0);
    assert_int_equal(outq_push(&q, big, 5, 0), OUTQ_DROPPED);
    outq_free(&q);
    assert_int_equal(outq_push(&q, big, 5, 1), OUTQ_DROPPED); /* not idle */
    assert_int_equal(big->refs, 1);
    frame_unref(big);
    frame_unref(d);
    frame_unref(n);
}

static void test_normal_evicts_oldest_droppable(void **state)
{
    struct outq q;
    outq_init(&q);
    struct frame *n[4], *d[4];
    const char *nn[4] = {"n0-----", "n1-----", "n2-----", "n3-----"}; /* 7 bytes */
    const char *dd[4] = {"d0-", "d1-", "d2-", "d3-"};                 /* 3 bytes */
    for (int i = 0; i < 4; i++) {
        n[i] = mk(nn[i]);
        d[i] = mkd(dd[i]);
    }
    /* n0 d0 n1 d1 d2 n2 d3 = 3*7 + 4*3 = 33 bytes, limit 36 */
    struct frame *order[] = {n[0], d[0], n[1], d[1], d[2], n[2], d[3]};
    for (unsigned i = 0; i < 7; i++)
        assert_int_equal(outq_push(&q, order[i], 36, 0), 0);
    assert_int_equal(q.bytes, 33);
    check_accounting(&q);
    /* n3 (7) needs 4 more bytes: evict d0 then d1 (oldest first), keep d2, d3 */
    assert_int_equal(outq_push(&q, n[3], 36, 0), OUTQ_EVICTED);
    assert_int_equal(q.evicted, 2);
    assert_int_equal(q.dropped, 2);
    struct frame *want[] = {n[0], n[1], d[2], n[2], d[3], n[3]};
    assert_int_equal(q.count, 6);
    for (unsigned i = 0; i < 6; i++)
        assert_ptr_equal(outq_peek(&q, i), want[i]);
    assert_int_equal(q.bytes, 34);
    check_accounting(&q);
    assert_int_equal(d[0]->refs, 1);
    assert_int_equal(d[1]->refs, 1);
    assert_int_equal(d[2]->refs, 2);
    /* the ring still works as a FIFO afterwards */
    outq_pop(&q);
    assert_ptr_equal(outq_peek(&q, 0), n[1]);
    check_accounting(&q);
    outq_free(&q);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(n[i]->refs, 1);
        assert_int_equal(d[i]->refs, 1);
        frame_unref(n[i]);
        frame_unref(d[i]);
    }
}

static void test_eviction_across_wraparound_and_inflight(void **state)
{
    struct outq q;
    outq_init(&q);
    struct frame *n = mk("nnnn"), *d = mkd("dddd");
    /* wrap the 8-slot ring: one frame left at slot 6 */
    for (int i = 0; i < 7; i++)
        assert_int_equal(outq_push(&q, n, 1000, 0), 0);
    for (int i = 0; i < 6; i++)
        outq_pop(&q);
    assert_int_equal(q.cap, 8);
    assert_int_equal(q.head, 6);
    /* n d n d n d : 24 bytes, slots 6,7,0,1,2,3 */
    assert_int_equal(outq_push(&q, d, 30, 0), 0);
    assert_int_equal(outq_push(&q, n, 30, 0), 0);
    assert_int_equal(outq_push(&q, d, 30, 0), 0);
    assert_int_equal(outq_push(&q, n, 30, 0), 0);
    assert_int_equal(outq_push(&q, d, 30, 0), 0);
    assert_int_equal(q.bytes, 24);
    /* 6 bytes in flight: 24 + 6 + 4 = 34 > 30, one eviction frees 4 -> 30 */
    assert_int_equal(outq_push(&q, n, 30, 6), OUTQ_EVICTED);
    assert_int_equal(q.evicted, 1);
    assert_int_equal(q.dropped, 1);
    assert_int_equal(q.count, 6);
    int want_drop[] = {0, 0, 1, 0, 1, 0}; /* n n d n d n */
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(frame_droppable(outq_peek(&q, i)), want_drop[i]);
    check_accounting(&q);
    outq_free(&q);
    assert_int_equal(n->refs, 1);
    assert_int_equal(d->refs, 1);
    frame_unref(n);
    frame_unref(d);
}

static void test_eviction_not_enough_overflows(void **state)
{
    struct outq q;
    outq_init(&q);
    struct frame *n = mk("0123456789"), *d = mkd("dd");
    for (int i = 0; i < 9; i++)
        assert_int_equal(outq_push(&q, n, 100, 0), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(outq_push(&q, d, 100, 0), 0); /* 100 */
    /* a 10-byte normal frame: evicting every droppable frees 10: enough */
    /* ...but with 1 byte in flight it is not: overflow, and nothing evicted */
    assert_int_equal(outq_push(&q, n, 100, 1), -ENOBUFS);
    assert_int_equal(q.count, 14);
    assert_int_equal(q.bytes, 100);
    assert_int_equal(q.dropped, 0);
    check_accounting(&q);
    /* without the in-flight byte every droppable frame goes and n fits exactly */
    assert_int_equal(outq_push(&q, n, 100, 0), OUTQ_EVICTED);
    assert_int_equal(q.evicted, 5);
    assert_int_equal(q.dropped, 5);
    assert_int_equal(q.count, 10);
    assert_int_equal(q.bytes, 100);
    assert_int_equal(q.ndrop, 0);
    assert_int_equal(d->refs, 1);
    check_accounting(&q);
    /* no droppable frame left: a plain overflow */
    assert_int_equal(outq_push(&q, n, 100, 0), -ENOBUFS);
    outq_free(&q);
    /* an oversized normal frame evicting the whole queue gets the idle exception */
    assert_int_equal(outq_push(&q, d, 5, 0), 0);
    assert_int_equal(outq_push(&q, d, 5, 0), 0);
    assert_int_equal(outq_push(&q, n, 5, 0), OUTQ_EVICTED);
    assert_int_equal(q.evicted, 2);
    assert_int_equal(q.count, 1);
    assert_ptr_equal(outq_peek(&q, 0), n);
    assert_int_equal(q.dropped, 2);
    check_accounting(&q);
    outq_free(&q);
    assert_int_equal(outq_push(&q, d, 5, 0), 0);
    assert_int_equal(outq_push(&q, n, 5, 1), -ENOBUFS); /* in flight: no exception */
    assert_int_equal(q.count, 1);
    outq_free(&q);
    assert_int_equal(n->refs, 1);
    assert_int_equal(d->refs, 1);
    frame_unref(n);
    frame_unref(d);
}

static void test_eviction_frees_frame_slots(void **state)
{
    struct outq q;
    outq_init(&q);
    struct frame *n = mk("x"), *d = mkd("y");
    assert_int_equal(outq_push(&q, d, SIZE_MAX, 0), 0);
    for (uint32_t i = 1; i < OUTQ_MAX_FRAMES; i++)
        assert_int_equal(outq_push(&q, n, SIZE_MAX, 0), 0);
    assert_int_equal(q.count, OUTQ_MAX_FRAMES);
    assert_int_equal(outq_push(&q, d, SIZE_MAX, 0), OUTQ_DROPPED); /* frame limit */
    assert_int_equal(outq_push(&q, n, SIZE_MAX, 0), OUTQ_EVICTED); /* evicts the first */
    assert_int_equal(q.evicted, 1);
    assert_int_equal(q.count, OUTQ_MAX_FRAMES);
    assert_int_equal(q.ndrop, 0);
    assert_int_equal(q.dropped, 2);
    assert_int_equal(outq_push(&q, n, SIZE_MAX, 0), -ENOBUFS);
    check_accounting(&q);
    while (q.count)
        outq_pop(&q);
    assert_null(q.ring);
    assert_int_equal(n->refs, 1);
    assert_int_equal(d->refs, 1);
    frame_unref(n);
    frame_unref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_refs),
        cmocka_unit_test(test_byte_limit),
        cmocka_unit_test(test_frame_limit_and_wraparound),
        cmocka_unit_test(test_small_ring_kept_until_trim),
        cmocka_unit_test(test_class_defaults_normal),
        cmocka_unit_test(test_droppable_incoming_dropped),
        cmocka_unit_test(test_normal_evicts_oldest_droppable),
        cmocka_unit_test(test_eviction_across_wraparound_and_inflight),
        cmocka_unit_test(test_eviction_not_enough_overflows),
        cmocka_unit_test(test_eviction_frees_frame_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
