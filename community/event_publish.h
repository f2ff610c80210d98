/* community/event_publish.h — what a ritual says out loud: event_state on
 * the event channel and the announcements channel, live_now and reminders
 * on the announcements channel. Every publication names its event ("event":
 * id). Fire and forget (community/publish.h): a refusal (say, no namespace
 * configured for the announcements channel) changes nothing else. Loop
 * thread only; owns nothing. */
#ifndef HEARTH_EVENT_PUBLISH_H
#define HEARTH_EVENT_PUBLISH_H

#include <jansson.h>
#include <stdint.h>

#include "community/event_doc.h"

struct node;

/* {"type":"event_state","event":id,"state":..,"occurrence":n,"ts":..} to
 * the event channel and the announcements channel. */
void event_publish_state(struct node *node, json_t *doc, uint32_t n, enum event_state st,
                         int64_t ts);
/* {"type":"live_now","event":id,"occurrence":n,"title":..,"channel":..,
 *  "stream_url"?:..,"ts":..} to the announcements channel. */
void event_publish_live_now(struct node *node, json_t *doc, uint32_t n, int64_t ts);
/* {"type":"reminder","event":id,"occurrence":n,"title":..,"start":ISO,
 *  "starts_in":seconds,"channel":..,"ts":..} to the announcements channel. */
void event_publish_reminder(struct node *node, json_t *doc, uint32_t n, int64_t start_ms,
                            uint32_t before_s, int64_t ts);

#endif
