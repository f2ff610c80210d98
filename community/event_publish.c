/* community/event_publish.c — event_publish.h. Each publish owns one heap
 * goes through community/publish.h. */
#include "community/event_publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community/publish.h"
#include "node/node.h"

static const char *id_of(json_t *doc)
{
    return json_string_value(json_object_get(doc, "id"));
}

void event_publish_state(struct node *node, json_t *doc, uint32_t n, enum event_state st,
                         int64_t ts)
{
    char ch[256];
    json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I}", "type", "event_state", "event", id_of(doc),
                          "state", event_state_name(st), "occurrence", (json_int_t)n, "ts",
                          (json_int_t)ts);
    if (event_channel(doc, ch, sizeof(ch)) >= 0)
        community_publish(node, ch, json_incref(o), true);
    community_publish(node, node->cfg->announcements_channel, o, true);
}

void event_publish_live_now(struct node *node, json_t *doc, uint32_t n, int64_t ts)
{
    char ch[256];
    if (event_occ_channel(doc, n, ch, sizeof(ch)) < 0)
        return;
    json_t *o = json_pack("{s:s,s:s,s:I,s:O,s:s,s:I}", "type", "live_now", "event", id_of(doc),
                          "occurrence", (json_int_t)n, "title", json_object_get(doc, "title"),
                          "channel", ch, "ts", (json_int_t)ts);
    json_t *url = json_object_get(doc, "stream_url");
    if (o && url)
        json_object_set(o, "stream_url", url);
    community_publish(node, node->cfg->announcements_channel, o, true);
}

void event_publish_reminder(struct node *node, json_t *doc, uint32_t n, int64_t start_ms,
                            uint32_t before_s, int64_t ts)
{
    char ch[256], start[32];
    if (event_occ_channel(doc, n, ch, sizeof(ch)) < 0)
        return;
    schedule_format_utc(start_ms, start, sizeof(start));
    json_t *o = json_pack("{s:s,s:s,s:I,s:O,s:s,s:I,s:s,s:I}", "type", "reminder", "event",
                          id_of(doc), "occurrence", (json_int_t)n, "title",
                          json_object_get(doc, "title"), "start", start, "starts_in",
                          (json_int_t)before_s, "channel", ch, "ts", (json_int_t)ts);
    community_publish(node, node->cfg->announcements_channel, o, true);
}
