/* tests/unit/test_filters.c — community/filters.c: word and phrase matching
 * (ASCII case-insensitive, whitespace runs, word boundaries, non-ASCII
 * bytes) and the "links" rule (schemes, www., bare domains with a known
 * TLD), as docs/chat.md, "Filters" states them; and filter_text_of()
 * against jansson on every shape of data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>

#include "community/mod_internal.h"

static bool hit(const struct chat_filter *f, const char *text)
{
    return filter_match(f, text, strlen(text));
}

static void words(void **state)
{
    (void)state;
    char *w[] = {"spam", "very bad phrase", "c++", "привет"};
    struct chat_filter f = {.words = w, .nwords = 4};
    assert_true(hit(&f, "spam"));
    assert_true(hit(&f, "SPAM!"));
    assert_true(hit(&f, "buy Spam now"));
    assert_true(hit(&f, "(spam)"));
    assert_false(hit(&f, "spammer"));
    assert_false(hit(&f, "antispam"));
    assert_false(hit(&f, "spam_x"));
    assert_false(hit(&f, "sp am"));
    assert_true(hit(&f, "a Very  Bad\tPhrase indeed"));
    assert_true(hit(&f, "very bad phrase"));
    assert_false(hit(&f, "very bad phrases"));
    assert_false(hit(&f, "very badphrase"));
    assert_true(hit(&f, "I like c++."));   /* ends in a non-word byte: no boundary needed after */
    assert_true(hit(&f, "привет всем"));  /* non-ASCII compared exactly */
    assert_false(hit(&f, "приветы"));      /* a non-ASCII byte after is a word byte */
    assert_false(hit(&f, ""));
    assert_false(hit(&f, "nothing to see"));
}

static void links(void **state)
{
    (void)state;
    struct chat_filter f = {.links = true};
    const char *yes[] = {"see http://x.test/a", "HTTPS://EXAMPLE.ORG", "www.example.org",
                         "go to spam.com now", "a.b.io/x", "spam.com", "x.co:8080",
                         "mail me at evil-site.net."};
    const char *no[] = {"e.g. this", "version 1.2 is fine", "a.comx", "hello.world",
                        "no links here", "awww.x", "dot. com", ".com"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(hit(&f, yes[i]));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(hit(&f, no[i]));
    struct chat_filter none = {0};
    assert_false(hit(&none, "http://x.com spam"));
}


/* filter_text_of() must answer what jansson answers, on every shape. */
static char *reference(const char *j)
{
    json_t *v = json_loads(j, 0, NULL);
    json_t *t = json_object_get(v, "text");
    char *s = json_is_string(t) ? strndup(json_string_value(t), json_string_length(t)) : NULL;
    json_decref(v);
    return s;
}

static void text_of(void **state)
{
    (void)state;
    const char *cases[] = {
        "{\"text\":\"hello\"}",
        " { \"type\" : \"message\" , \"text\" : \"hi there\" , \"mentions\":[],\"ts\":1 } ",
        "{\"text\":\"first\",\"text\":\"second\"}",             /* the last one, as jansson */
        "{\"text\":\"a\",\"text\":5}",                             /* the last is not a string */
        "{\"text\":5,\"text\":\"b\"}",
        "{\"text\":\"esc \\\"quoted\\\" \\u00e9\\n\"}",            /* escapes: jansson path */
        "{\"\\u0074ext\":\"sneaky\"}",                              /* an escaped key */
        "{\"a\":{\"text\":\"nested\"},\"b\":[\"}\",\"{\",\"]\"]}",    /* nested, brackets in strings */
        "{\"a\":{\"text\":\"nested\"},\"text\":\"top\"}",
        "{\"a\":\"x\\\"y\",\"text\":\"after an escaped quote\"}",
        "{\"text\":null}", "{\"text\":true}", "{\"text\":[\"x\"]}", "{\"text\":{}}",
        "{\"text\":\"\"}", "{}", "[\"text\"]", "\"text\"", "42", "",
        "{\"text\":\"unterminated}", "{\"text\" \"x\"}", "{\"text\":\"x\",}",
        "{\"text\":\"x\"} trailing", "{\"text\":\"x\"", "{\"a\":[1,2,{\"b\":[3]}],\"text\":\"deep\"}",
        "{\"text\":\"caf\xc3\xa9 \xf0\x9f\x91\x8d\"}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *want = reference(cases[i]);
        char *got = filter_text_of((const uint8_t *)cases[i], strlen(cases[i]));
        if (want || got) {
            if (!want || !got || strcmp(want, got) != 0)
                fail_msg("case %zu %s: want %s got %s", i, cases[i], want ? want : "NULL",
                         got ? got : "NULL");
        }
        free(want);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words),
        cmocka_unit_test(links),
        cmocka_unit_test(text_of),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
