/* tests/unit/test_outq.c — the bounded outbound queue: order, byte and frame
 * limits, reference counting, and giving memory back when drained. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_refs),
        cmocka_unit_test(test_byte_limit),
        cmocka_unit_test(test_frame_limit_and_wraparound),
        cmocka_unit_test(test_small_ring_kept_until_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
