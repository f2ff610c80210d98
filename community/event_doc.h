/* community/event_doc.h — one ritual event as a JSON document: what
 * event.create / event.update accept (validation and the stored form), the
 * occurrence lifecycle kept inside it (state per occurrence, cancellations,
 * the "done through" mark), which occurrence is current, and the view that
 * event.get / event.list answer. Pure functions over jansson values: no
 * store, no node, so the rules are unit-tested on their own.
 *
 * Stored form (record kind EVENT_KIND, key = id):
 *   {id, title, description?, hosts: [..], stream_url?, start, tz, duration,
 *    recurrence?, reminders?, namespace, policies?, created_ts,
 *    occ: {"<n>": {state, ts}}, cancelled: [n..], series_cancelled?: true,
 *    done_through: n}
 * done_through: every occurrence up to it is ended or cancelled; entries of
 * occ/cancelled at or below it are pruned, so the document stays small for
 * a series that runs for years. */
#ifndef HEARTH_EVENT_DOC_H
#define HEARTH_EVENT_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "community/schedule.h"

struct config;

#define EVENT_KIND "event"
#define EVENT_ID_LEN 16                 /* hex characters */
#define EVENT_VIEW_OCCURRENCES 5        /* occurrences event.get lists for a series */

enum event_state {
    EV_SCHEDULED, EV_GREEN_ROOM, EV_LIVE, EV_AFTER_PARTY, EV_ENDED, EV_CANCELLED, EV_STATES
};

const char *event_state_name(enum event_state s);
/* -1 for an unknown name */
int event_state_from_name(const char *name);

/* Validates params of event.create (creating: true; id and created_ts are
 * set by the caller afterwards) or the fields of event.update applied onto
 * the stored doc (creating: false; doc is modified in place only on
 * success). Returns 0, or -1 with a sentence in err (the caller's 107).
 * cfg: the running config (the namespace must be a chat namespace). */
int event_apply(json_t *doc, json_t *params, bool creating, const struct config *cfg, char *err,
                size_t errlen);

/* The schedule of a stored (valid) doc. 0 or -1. */
int event_schedule(json_t *doc, struct schedule *out);

bool event_is_host(json_t *doc, const char *user);

/* State of occurrence n in doc (EV_SCHEDULED when nothing is stored). */
enum event_state event_occ_state(json_t *doc, uint32_t n);

/* The current occurrence: the earliest one neither ended nor cancelled.
 * 0 with *n set, or -1 when there is none (series cancelled or over). */
int event_current(json_t *doc, const struct schedule *s, uint32_t *n);

/* Sets occurrence n's state (and ts), then advances done_through and prunes.
 * state EV_CANCELLED cancels that occurrence. */
int event_set_state(json_t *doc, uint32_t n, enum event_state st, int64_t ts);

/* The answer of event.get: the stored fields (less the bookkeeping) plus
 * occurrences [{n, start, end, state, channel}] and current (n or null). New
 * reference, or NULL (OOM). */
json_t *event_view(json_t *doc, const struct schedule *s);

/* "<namespace>:<id>" (event channel) and "<namespace>:<id>.<n>"
 * (occurrence chat) into out; the length, or -1 when it does not fit. */
int event_channel(json_t *doc, char *out, size_t n);
int event_occ_channel(json_t *doc, uint32_t occ, char *out, size_t n);

#endif
