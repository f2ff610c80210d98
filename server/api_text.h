/* server/api_text.h — text helpers for the API methods whose answers and
 * inputs are big (broadcast, batch): a growing buffer that replies are
 * encoded into one by one (so an answer of N replies is one buffer, not N
 * JSON trees), and a scanner that finds where one JSON value ends in a body
 * (so a batch is parsed one command at a time, not as one tree). */
#ifndef HEARTH_API_TEXT_H
#define HEARTH_API_TEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A growing NUL-terminated text buffer. Zero-initialise. Every put is a
 * no-op once an allocation failed (oom set). */
struct api_text {
    char *p;        /* owned, malloc'd */
    size_t len, cap;
    bool oom;
};

void api_text_put(struct api_text *t, const char *s, size_t n);
void api_text_puts(struct api_text *t, const char *s);
/* Appends v encoded compactly (JSON_ENCODE_ANY). */
void api_text_put_json(struct api_text *t, const json_t *v);
/* Hands the buffer over (the caller frees it; *len set) and resets t.
 * NULL after an allocation failure (t is then freed). */
char *api_text_take(struct api_text *t, size_t *len);
void api_text_free(struct api_text *t);

/* Skips JSON whitespace from p; returns the first other byte's position. */
const char *json_skip_ws(const char *p, const char *end);
/* The end of the JSON value that starts at p (just past it), or NULL when
 * none can start there or it runs past end. Brackets are counted, not
 * matched, and scalars are not checked: parse the span to validate it. No
 * recursion, so nesting depth costs nothing. */
const char *json_value_end(const char *p, const char *end);

#endif
