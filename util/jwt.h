/* util/jwt.h — JSON Web Token signature verification (RFC 7515/7519
 * compact form) for connection and subscription tokens.
 *
 * A struct jwt_verifier holds the keys and checks the configuration allows:
 * an HMAC secret (HS256/384/512), an RSA public key (RS256/384/512), an
 * ECDSA public key (ES256 on P-256, ES384 on P-384, ES512 on P-521), an
 * optional pinned algorithm, and optional audience/issuer. Each algorithm
 * family is verified only with its own key, so a public key can never be
 * used as an HMAC secret (key confusion), and "none" and every unknown
 * algorithm are refused. Built once per config load (SIGHUP builds a new
 * one); read-only afterwards. Owns its keys. */
#ifndef HEARTH_JWT_H
#define HEARTH_JWT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct jwt_verifier;

struct jwt_settings {            /* all borrowed for the call; NULL = not configured */
    const char *hmac_secret;
    const char *rsa_public_key;  /* PEM text, or a path to a PEM file */
    const char *ecdsa_public_key;/* PEM text, or a path to a PEM file */
    const char *algorithm;       /* pin one alg, e.g. "RS256" */
    const char *audience;        /* required "aud" (string or array member) */
    const char *issuer;          /* required "iss" */
};

/* Returns a verifier (possibly with no keys: then nothing verifies), or
 * NULL with a message in err (unreadable/invalid key, pin without its key,
 * unknown algorithm name). */
struct jwt_verifier *jwt_verifier_new(const struct jwt_settings *s, char *err, size_t errlen);
void jwt_verifier_free(struct jwt_verifier *v);   /* NULL-safe */

/* Checks token (len bytes, not NUL-terminated): format, algorithm allowed
 * for the configured keys, signature, then aud/iss when configured. Returns
 * the payload object (caller owns: json_decref), or NULL when anything is
 * wrong. Time claims are the caller's business. */
json_t *jwt_verify(const struct jwt_verifier *v, const uint8_t *token, size_t len);

/* base64url (padding optional) decode into out (room for n*3/4+3 bytes).
 * Returns the decoded length, or -1 on a bad character. */
long jwt_b64url_decode(const uint8_t *in, size_t n, uint8_t *out);

#endif
