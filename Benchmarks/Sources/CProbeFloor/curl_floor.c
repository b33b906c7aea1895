#define _GNU_SOURCE
#include "ccurl.h"
#include "cprobefloor.h"
#include "floor_clock.h"
#include <stdio.h>
#include <stdlib.h>

/* The probe engine's curl work with nothing of supervise around it. Options match
   CurlTransfer's for an HTTP check, so the difference to the daemon is supervise's own cost. */

static size_t discard(char *data, size_t size, size_t count, void *context) {
    (void)data; (void)context;
    return size * count;
}

static CURL *make_get(const char *url) {
    CURL *h = csupervise_curl_easy_init();
    if (!h) return NULL;
    csupervise_easy_setopt_long(h, CURLOPT_NOSIGNAL, 1);
    csupervise_easy_setopt_long(h, CURLOPT_TIMEOUT_MS, 1000);
    csupervise_easy_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, 1000);
    csupervise_easy_setopt_string(h, CURLOPT_PROXY, "");
    csupervise_easy_setopt_string(h, CURLOPT_URL, url);
    csupervise_easy_setopt_string(h, CURLOPT_PROTOCOLS_STR, "http,https");
    csupervise_easy_setopt_long(h, CURLOPT_HTTPGET, 1);
    csupervise_easy_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0);
    csupervise_easy_setopt_string(h, CURLOPT_USERAGENT, "supervise-probe");
    csupervise_easy_setopt_write_callback(h, discard);
    return h;
}

/** Frees every finished transfer, counting it into `completed` or `failed` when given. */
static void reap(CURLM *multi, long *completed, long *failed) {
    int left = 0;
    CURLMsg *message;
    while ((message = csupervise_curl_multi_info_read(multi, &left))) {
        if (message->msg != CURLMSG_DONE) continue;
        CURL *h = message->easy_handle;
        long *count = message->data.result == CURLE_OK ? completed : failed;
        if (count) (*count)++;
        csupervise_curl_multi_remove_handle(multi, h);
        csupervise_curl_easy_cleanup(h);
    }
}

int csupervise_floor_curl(const int *ports, int nports, int rate, int slot_ms, int seconds,
                          csupervise_floor_result *out) {
    if (!csupervise_curl_available() || csupervise_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return -1;
    CURLM *multi = csupervise_curl_multi_init();
    if (!multi) return -1;
    csupervise_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 1024);
    char (*urls)[48] = calloc((size_t)nports, sizeof *urls);
    for (int i = 0; i < nports; i++) snprintf(urls[i], sizeof urls[i], "http://127.0.0.1:%d/", ports[i]);

    const long long slot_ns = slot_ms * 1000000LL;
    const int per_slot = rate * slot_ms / 1000;
    long long next = floor_now_ns();
    long completed = 0, failed = 0, target = 0;
    int running = 0;
    floor_window window;
    floor_window_init(&window, seconds);
    while (!floor_window_over(&window, &completed, &failed)) {
        if (floor_now_ns() >= next) {
            for (int i = 0; i < per_slot; i++, target++) {
                CURL *h = make_get(urls[target % nports]);
                if (h) csupervise_curl_multi_add_handle(multi, h);
            }
            next += slot_ns;
        }
        csupervise_curl_multi_perform(multi, &running);
        reap(multi, &completed, &failed);
        int timeout = floor_ms_until(next);
        long curl_timeout = -1;
        if (csupervise_curl_multi_timeout(multi, &curl_timeout) == CURLM_OK && curl_timeout >= 0 && curl_timeout < timeout)
            timeout = (int)curl_timeout;
        if (timeout > 0) csupervise_curl_multi_poll(multi, NULL, 0, timeout, NULL);
    }
    floor_window_close(&window, out);
    out->completed = completed;
    out->failed = failed;
    // Let the GETs still in flight finish (each has a 1 s timeout) so every handle is freed; they
    // started inside the window but end after it, so they are not counted.
    do {
        csupervise_curl_multi_perform(multi, &running);
        reap(multi, NULL, NULL);
        if (running) csupervise_curl_multi_poll(multi, NULL, 0, 100, NULL);
    } while (running);
    free(urls);
    csupervise_curl_multi_cleanup(multi);
    return 0;
}
