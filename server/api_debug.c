/* server/api_debug.c — debug.clock, the injectable clock for integration
 * tests: registered on the HTTP API only when the config says
 * "test_clock": true (never in production). {"set_ms": unix ms} freezes the
 * node clock there, {"advance_ms": ms} moves it (freezing it), {"run":
 * true} lets it follow real time again; the answer is {"now_ms": ..}. The
 * clock moves every wall-clock reading of this node (history and record
 * expiry, community schedules and figures); loop timers keep libuv's time. */
#include "protocol/errors.h"
#include "server/api_internal.h"
#include "server/server.h"
#include "util/clock.h"

void api_m_debug_clock(const struct method_call *call, json_t *params, method_done *done, void *arg)
{
    struct clock *clk = &call->node->clock;
    json_t *set = json_object_get(params, "set_ms"), *adv = json_object_get(params, "advance_ms");
    if (set && json_is_integer(set))
        clock_set(clk, json_integer_value(set));
    else if (adv && json_is_integer(adv))
        clock_advance(clk, json_integer_value(adv));
    else if (json_is_true(json_object_get(params, "run")))
        clock_run(clk);
    else if (json_object_size(params))
        return method_error(done, arg, ERR_BAD_REQUEST, "debug.clock takes set_ms, advance_ms or run");
    method_ok(done, arg, json_pack("{s:I}", "now_ms", (json_int_t)clock_now_ms(clk)));
}
