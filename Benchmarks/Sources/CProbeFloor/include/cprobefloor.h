#ifndef SUPERVISE_CPROBEFLOOR_H
#define SUPERVISE_CPROBEFLOOR_H

/* Anchors for the probe benchmark: what the same HTTP probe load costs without supervise.
   Each loop runs on the calling thread and measures that thread only (RUSAGE_THREAD), so the
   figures compare with the daemon's probe thread and with the whole daemon. */

/** What one anchor loop did and what it cost its thread. */
typedef struct {
    double user_seconds;
    double system_seconds;
    double elapsed_seconds;
    long completed;
    long failed;
} csupervise_floor_result;

/** HTTP GETs to http://127.0.0.1:PORT/ spread over `nports` ports, `rate` a second, started
    together on `slot_ms` boundaries (as the probe engine does), for `seconds` after a 2 s warm-up.
    Driven as the engine drives them: a fresh easy handle per GET on one multi handle with pooled
    keep-alive connections, csupervise_curl_multi_perform and csupervise_curl_multi_poll. 0 on success, -1 if libcurl
    could not be loaded. */
int csupervise_floor_curl(const int *ports, int nports, int rate, int slot_ms, int seconds,
                          csupervise_floor_result *out);

/** The same GETs with no HTTP library: one keep-alive socket per GET in flight, a fixed request,
    epoll, and a response counted once its headers and Content-Length bytes have arrived. The
    kernel's share of any client. 0 on success, -1 if a connection failed. */
int csupervise_floor_sockets(const int *ports, int nports, int rate, int slot_ms, int seconds,
                             csupervise_floor_result *out);

#endif
