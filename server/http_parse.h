/* server/http_parse.h — the pieces of HTTP request handling that are ours
 * rather than libwebsockets': Content-Length validation (request-smuggling
 * shapes), the path of a request URI, and API credentials in an
 * Authorization header. Pure functions over bytes; the libFuzzer target
 * tests/fuzz/fuzz_http.c drives them. */
#ifndef HEARTH_HTTP_PARSE_H
#define HEARTH_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* A Content-Length value as lws hands it over (several headers arrive
 * joined by ','). Only 1..15 decimal digits are a length: a list, a sign,
 * spaces inside, or anything else is -1 (400). 0 and *out on success. */
int http_content_length(const char *s, size_t n, uint64_t *out);

/* Bytes of uri before its query ('?') or fragment. */
size_t http_path_len(const char *uri, size_t n);

/* An Authorization header "apikey KEY" or "Bearer KEY" (scheme
 * case-insensitive, spaces around the key ignored): 0 and the key's span
 * inside s, or -1. */
int http_auth_key(const char *s, size_t n, const char **key, size_t *klen);

#endif
