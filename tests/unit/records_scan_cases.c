/* tests/unit/records_scan_cases.c — the records contract's scan cases (see
 * records_cases.h): byte order both ways, prefixes (0xff ones too), paging
 * with after in both directions, limits, binary keys, and a scan that must
 * skip expired records and still fill its limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/records_cases.h"

void case_scan_order(struct rt *t)
{
    const struct span put[] = {S("b"), S("a"), S("ab"), S("c"), S("a\0"), S("\xff"), S("\x01")};
    const struct span want[] = {S("\x01"), S("a"), S("a\0"), S("ab"), S("b"), S("c"), S("\xff")};
    struct span rev[7];
    for (size_t i = 0; i < 7; i++) {
        put_ok(t, S("order"), put[i], put[i], 0);
        rev[i] = want[6 - i];
    }
    struct got g = {0};
    scan_keys(t, &g, S("order"), S(""), S(""), 0, false);
    expect_keys(&g, want, 7);
    for (size_t i = 0; i < 7; i++)
        expect_rec(&g, i, want[i], want[i], 0);
    scan_keys(t, &g, S("order"), S(""), S(""), 0, true);
    expect_keys(&g, rev, 7);
    scan_keys(t, &g, S("nothing"), S(""), S(""), 0, false); /* a kind never written */
    expect_keys(&g, NULL, 0);
    got_free(&g);
}

void case_scan_prefix(struct rt *t)
{
    const struct span keys[] = {S("c1\x1f" "001"), S("c1\x1f" "002"), S("c10\x1f" "001"),
                                S("c2\x1f" "001"), S("c1"), S("\xff\xff"), S("\xff\xff\0"),
                                S("\xff\xfe"), S("\xff"), S("\xff\xff\xff")};
    for (size_t i = 0; i < 10; i++)
        put_ok(t, S("msg"), keys[i], S("v"), 0);
    struct got g = {0};
    scan_keys(t, &g, S("msg"), S("c1\x1f"), S(""), 0, false);
    expect_keys(&g, (struct span[]){keys[0], keys[1]}, 2);
    scan_keys(t, &g, S("msg"), S("c1\x1f"), S(""), 0, true);
    expect_keys(&g, (struct span[]){keys[1], keys[0]}, 2);
    scan_keys(t, &g, S("msg"), S("c1"), S(""), 0, false);
    expect_keys(&g, (struct span[]){keys[4], keys[0], keys[1], keys[2]}, 4);
    scan_keys(t, &g, S("msg"), S("c1"), S(""), 0, true);
    expect_keys(&g, (struct span[]){keys[2], keys[1], keys[0], keys[4]}, 4);
    scan_keys(t, &g, S("msg"), S("zz"), S(""), 0, false);
    expect_keys(&g, NULL, 0);
    /* prefixes of 0xff bytes (no key sorts just above them) */
    scan_keys(t, &g, S("msg"), S("\xff\xff"), S(""), 0, false);
    expect_keys(&g, (struct span[]){keys[5], keys[6], keys[9]}, 3);
    scan_keys(t, &g, S("msg"), S("\xff\xff"), S(""), 0, true);
    expect_keys(&g, (struct span[]){keys[9], keys[6], keys[5]}, 3);
    scan_keys(t, &g, S("msg"), S("\xff"), S(""), 2, true);
    expect_keys(&g, (struct span[]){keys[9], keys[6]}, 2);
    got_free(&g);
}

void case_scan_paging(struct rt *t)
{
    put_many(t, S("page"), "k%02d", 0, 25, 0);
    put_ok(t, S("page"), S("j"), S("j"), 0);
    put_ok(t, S("page"), S("l"), S("l"), 0);
    struct got g = {0};
    char after[8] = "";
    char want[16];
    for (int dir = 0; dir < 2; dir++) {
        bool rev = dir == 1;
        int seen = 0;
        after[0] = 0;
        for (int page = 0; page < 4; page++) {
            scan_keys(t, &g, S("page"), S("k"), sz(after), 10, rev);
            int expect = page < 2 ? 10 : page == 2 ? 5 : 0;
            assert_int_equal(g.n, expect);
            for (size_t i = 0; i < g.n; i++, seen++) {
                snprintf(want, sizeof(want), "k%02d", rev ? 24 - seen : seen);
                expect_span(g.recs[i].key, sz(want));
            }
            if (g.n)
                snprintf(after, sizeof(after), "%.*s", (int)g.recs[g.n - 1].key.n,
                         (const char *)g.recs[g.n - 1].key.p);
        }
        assert_int_equal(seen, 25);
    }
    /* after outside the prefix's range, and between keys */
    scan_keys(t, &g, S("page"), S("k"), S("a"), 3, false);
    expect_keys(&g, (struct span[]){S("k00"), S("k01"), S("k02")}, 3);
    scan_keys(t, &g, S("page"), S("k"), S("kz"), 3, false);
    expect_keys(&g, NULL, 0);
    scan_keys(t, &g, S("page"), S("k"), S("z"), 2, true);
    expect_keys(&g, (struct span[]){S("k24"), S("k23")}, 2);
    scan_keys(t, &g, S("page"), S("k"), S("a"), 2, true);
    expect_keys(&g, NULL, 0);
    scan_keys(t, &g, S("page"), S("k"), S("k055"), 2, false);
    expect_keys(&g, (struct span[]){S("k06"), S("k07")}, 2);
    scan_keys(t, &g, S("page"), S("k"), S("k055"), 2, true);
    expect_keys(&g, (struct span[]){S("k05"), S("k04")}, 2);
    scan_keys(t, &g, S("page"), S(""), S("k24"), 0, false); /* no prefix */
    expect_keys(&g, (struct span[]){S("l")}, 1);
    scan_keys(t, &g, S("page"), S(""), S("k00"), 0, true);
    expect_keys(&g, (struct span[]){S("j")}, 1);
    got_free(&g);
}

void case_scan_limit(struct rt *t)
{
    put_many(t, S("many"), "n%04d", 0, RECORD_SCAN_MAX + 5, 0);
    struct got g = {0};
    scan_keys(t, &g, S("many"), S(""), S(""), 0, false); /* 0 = RECORD_SCAN_MAX */
    assert_int_equal(g.n, RECORD_SCAN_MAX);
    expect_span(g.recs[0].key, S("n0000"));
    expect_span(g.recs[RECORD_SCAN_MAX - 1].key, S("n0999"));
    scan_keys(t, &g, S("many"), S(""), S(""), RECORD_SCAN_MAX + 1, false); /* capped */
    assert_int_equal(g.n, RECORD_SCAN_MAX);
    scan_keys(t, &g, S("many"), S(""), S(""), 0, true);
    assert_int_equal(g.n, RECORD_SCAN_MAX);
    expect_span(g.recs[0].key, S("n1004"));
    scan_keys(t, &g, S("many"), S(""), S(""), 5, false);
    assert_int_equal(g.n, 5);
    scan_keys(t, &g, S("many"), S(""), S(""), 1, true);
    expect_keys(&g, (struct span[]){S("n1004")}, 1);
    got_free(&g);
}

void case_binary_keys(struct rt *t)
{
    const struct span keys[] = {S("\xff\0"), S("\0\0"), S("a\0b"), S("\0"), S("\xff"), S("\x01")};
    const struct span order[] = {S("\0"), S("\0\0"), S("\x01"), S("a\0b"), S("\xff"),
                                 S("\xff\0")};
    const struct span val = S("\0\xff\0 bytes\r\n");
    for (size_t i = 0; i < 6; i++)
        put_ok(t, S("bin"), keys[i], val, 0);
    struct got g = {0};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(rt_get(t, &g, S("bin"), keys[i]), 0);
        assert_int_equal(g.n, 1);
        expect_rec(&g, 0, keys[i], val, 0);
    }
    scan_keys(t, &g, S("bin"), S(""), S(""), 0, false);
    expect_keys(&g, order, 6);
    scan_keys(t, &g, S("bin"), S("\0"), S(""), 0, false);
    expect_keys(&g, order, 2);
    scan_keys(t, &g, S("bin"), S(""), S("\0"), 2, false);
    expect_keys(&g, order + 1, 2);
    assert_int_equal(rt_del(t, &g, S("bin"), S("\0")), 0);
    expect_rec(&g, 0, S("\0"), val, 0);
    assert_int_equal(rt_get(t, &g, S("bin"), S("\0\0")), 0);
    assert_int_equal(g.n, 1);
    got_free(&g);
}

/* Keys that look like ZRANGEBYLEX bound syntax ("-", "+", "[x", "(x") are
 * keys like any other: as prefixes, as after, in both directions. */
void case_scan_bound_chars(struct rt *t)
{
    const struct span order[] = {S("("), S("(a"), S("+"), S("-"), S("["), S("[a")};
    for (size_t i = 6; i-- > 0;)
        put_ok(t, S("lex"), order[i], order[i], 0);
    struct got g = {0};
    scan_keys(t, &g, S("lex"), S(""), S(""), 0, false);
    expect_keys(&g, order, 6);
    scan_keys(t, &g, S("lex"), S("("), S(""), 0, false);
    expect_keys(&g, order, 2);
    scan_keys(t, &g, S("lex"), S("["), S(""), 0, true);
    expect_keys(&g, (struct span[]){S("[a"), S("[")}, 2);
    scan_keys(t, &g, S("lex"), S(""), S("+"), 0, false);
    expect_keys(&g, order + 3, 3);
    scan_keys(t, &g, S("lex"), S(""), S("-"), 0, true);
    expect_keys(&g, (struct span[]){S("+"), S("(a"), S("(")}, 3);
    scan_keys(t, &g, S("lex"), S("-"), S(""), 0, false);
    expect_keys(&g, order + 3, 1);
    assert_int_equal(rt_get(t, &g, S("lex"), S("+")), 0);
    expect_rec(&g, 0, S("+"), S("+"), 0);
    got_free(&g);
}

void case_scan_skips_expired(struct rt *t)
{
    put_many(t, S("exp"), "a%03d", 0, 300, RT_T0 + 10);
    put_many(t, S("exp"), "b%02d", 0, 20, 0);
    for (int i = 0; i < 500; i++) { /* every 50th live */
        char key[8];
        snprintf(key, sizeof(key), "c%03d", i);
        struct record r = {sz(key), S("v"), i % 50 ? RT_T0 + 10 : 0};
        assert_int_equal(t->st->ops->record_put(t->st, S("exp"), &r, 0, NULL, NULL), 0);
    }
    clock_set(t->clk, RT_T0 + 10);
    struct got g = {0};
    for (int pass = 0; pass < 2; pass++) { /* before and after a sweep */
        scan_keys(t, &g, S("exp"), S(""), S(""), 10, false);
        assert_int_equal(g.n, 10);
        expect_span(g.recs[0].key, S("b00"));
        expect_span(g.recs[9].key, S("b09"));
        scan_keys(t, &g, S("exp"), S("c"), S(""), 10, false);
        assert_int_equal(g.n, 10);
        expect_span(g.recs[1].key, S("c050"));
        expect_span(g.recs[9].key, S("c450"));
        scan_keys(t, &g, S("exp"), S("c"), S(""), 3, true);
        expect_keys(&g, (struct span[]){S("c450"), S("c400"), S("c350")}, 3);
        scan_keys(t, &g, S("exp"), S("a"), S(""), 0, false);
        expect_keys(&g, NULL, 0);
        rt_sweep(t);
    }
    got_free(&g);
}
