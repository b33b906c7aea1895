#include "ccurl.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

/* Every libcurl entry point the project uses, resolved from libcurl.so.4 on first use. */
static struct {
    int loaded;
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
    CURLMcode (*multi_wakeup)(CURLM *);
    CURLMcode (*multi_timeout)(CURLM *, long *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
    const char *(*multi_strerror)(CURLMcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) return;
#define SYM(field, name) do { *(void **)(&lib.field) = dlsym(h, name); if (!lib.field) return; } while (0)
    SYM(global_init, "curl_global_init");
    SYM(easy_init, "curl_easy_init");
    SYM(easy_cleanup, "curl_easy_cleanup");
    SYM(easy_perform, "curl_easy_perform");
    SYM(easy_setopt, "curl_easy_setopt");
    SYM(easy_getinfo, "curl_easy_getinfo");
    SYM(easy_strerror, "curl_easy_strerror");
    SYM(multi_init, "curl_multi_init");
    SYM(multi_cleanup, "curl_multi_cleanup");
    SYM(multi_setopt, "curl_multi_setopt");
    SYM(multi_add_handle, "curl_multi_add_handle");
    SYM(multi_remove_handle, "curl_multi_remove_handle");
    SYM(multi_perform, "curl_multi_perform");
    SYM(multi_poll, "curl_multi_poll");
    SYM(multi_wakeup, "curl_multi_wakeup");
    SYM(multi_timeout, "curl_multi_timeout");
    SYM(multi_info_read, "curl_multi_info_read");
    SYM(multi_strerror, "curl_multi_strerror");
    SYM(slist_append, "curl_slist_append");
    SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
    lib.loaded = 1;
}

int csupervise_curl_available(void) {
    pthread_once(&once, load);
    return lib.loaded;
}

#define READY(fail) do { if (!csupervise_curl_available()) return fail; } while (0)

/* Trampolines under names of our own (csupervise_ + libcurl's name), as swift-nio names its dlopen'd liburing
   shims CNIOLinux_io_uring_*. Defined under libcurl's own names they would interpose on libcurl for the whole
   process: any other code in the binary that calls libcurl (FoundationNetworking, once linked statically) would go
   through them. Tests/IntegrationTests/CurlShimTests.swift checks with nm that the binary defines no curl_*. */
CURLcode csupervise_curl_global_init(long flags) { READY(CURLE_FAILED_INIT); return lib.global_init(flags); }
CURL *csupervise_curl_easy_init(void) { READY(NULL); return lib.easy_init(); }
void csupervise_curl_easy_cleanup(CURL *h) { if (csupervise_curl_available()) lib.easy_cleanup(h); }
CURLcode csupervise_curl_easy_perform(CURL *h) { READY(CURLE_FAILED_INIT); return lib.easy_perform(h); }
const char *csupervise_curl_easy_strerror(CURLcode c) { READY("libcurl.so.4 could not be loaded"); return lib.easy_strerror(c); }
CURLM *csupervise_curl_multi_init(void) { READY(NULL); return lib.multi_init(); }
CURLMcode csupervise_curl_multi_cleanup(CURLM *m) { READY(CURLM_INTERNAL_ERROR); return lib.multi_cleanup(m); }
CURLMcode csupervise_curl_multi_add_handle(CURLM *m, CURL *h) { READY(CURLM_INTERNAL_ERROR); return lib.multi_add_handle(m, h); }
CURLMcode csupervise_curl_multi_remove_handle(CURLM *m, CURL *h) { READY(CURLM_INTERNAL_ERROR); return lib.multi_remove_handle(m, h); }
CURLMcode csupervise_curl_multi_perform(CURLM *m, int *running) { READY(CURLM_INTERNAL_ERROR); return lib.multi_perform(m, running); }
CURLMcode csupervise_curl_multi_poll(CURLM *m, struct curl_waitfd *fds, unsigned int n, int timeout_ms, int *numfds) {
    READY(CURLM_INTERNAL_ERROR); return lib.multi_poll(m, fds, n, timeout_ms, numfds);
}
CURLMcode csupervise_curl_multi_wakeup(CURLM *m) { READY(CURLM_INTERNAL_ERROR); return lib.multi_wakeup(m); }
CURLMcode csupervise_curl_multi_timeout(CURLM *m, long *ms) { READY(CURLM_INTERNAL_ERROR); return lib.multi_timeout(m, ms); }
CURLMsg *csupervise_curl_multi_info_read(CURLM *m, int *left) { READY(NULL); return lib.multi_info_read(m, left); }
const char *csupervise_curl_multi_strerror(CURLMcode c) { READY("libcurl.so.4 could not be loaded"); return lib.multi_strerror(c); }
struct curl_slist *csupervise_curl_slist_append(struct curl_slist *l, const char *s) { READY(NULL); return lib.slist_append(l, s); }
void csupervise_curl_slist_free_all(struct curl_slist *l) { if (csupervise_curl_available()) lib.slist_free_all(l); }

/* Typed wrappers for the variadic calls. */
CURLcode csupervise_easy_setopt_long(CURL *h, CURLoption o, long v) { READY(CURLE_FAILED_INIT); return lib.easy_setopt(h, o, v); }
CURLcode csupervise_easy_setopt_string(CURL *h, CURLoption o, const char *v) { READY(CURLE_FAILED_INIT); return lib.easy_setopt(h, o, v); }
CURLcode csupervise_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { READY(CURLE_FAILED_INIT); return lib.easy_setopt(h, o, v); }
CURLcode csupervise_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { READY(CURLE_FAILED_INIT); return lib.easy_setopt(h, o, v); }
CURLcode csupervise_easy_setopt_write_callback(CURL *h, curl_write_callback cb) { READY(CURLE_FAILED_INIT); return lib.easy_setopt(h, CURLOPT_WRITEFUNCTION, cb); }
CURLcode csupervise_easy_setopt_header_callback(CURL *h, curl_write_callback cb) { READY(CURLE_FAILED_INIT); return lib.easy_setopt(h, CURLOPT_HEADERFUNCTION, cb); }
CURLcode csupervise_easy_setopt_opensocket_callback(CURL *h, curl_opensocket_callback cb) { READY(CURLE_FAILED_INIT); return lib.easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, cb); }

CURLcode csupervise_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { READY(CURLE_FAILED_INIT); return lib.easy_getinfo(h, i, v); }
CURLcode csupervise_easy_getinfo_double(CURL *h, CURLINFO i, double *v) { READY(CURLE_FAILED_INIT); return lib.easy_getinfo(h, i, v); }
CURLcode csupervise_easy_getinfo_offset(CURL *h, CURLINFO i, curl_off_t *v) { READY(CURLE_FAILED_INIT); return lib.easy_getinfo(h, i, v); }
CURLcode csupervise_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) { READY(CURLE_FAILED_INIT); return lib.easy_getinfo(h, i, v); }
CURLcode csupervise_easy_getinfo_string(CURL *h, CURLINFO i, char **v) { READY(CURLE_FAILED_INIT); return lib.easy_getinfo(h, i, v); }

CURLMcode csupervise_multi_setopt_long(CURLM *m, CURLMoption o, long v) { READY(CURLM_INTERNAL_ERROR); return lib.multi_setopt(m, o, v); }
CURLMcode csupervise_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v) { READY(CURLM_INTERNAL_ERROR); return lib.multi_setopt(m, o, v); }
CURLMcode csupervise_multi_setopt_socket_callback(CURLM *m, curl_socket_callback cb) { READY(CURLM_INTERNAL_ERROR); return lib.multi_setopt(m, CURLMOPT_SOCKETFUNCTION, cb); }
CURLMcode csupervise_multi_setopt_timer_callback(CURLM *m, curl_multi_timer_callback cb) { READY(CURLM_INTERNAL_ERROR); return lib.multi_setopt(m, CURLMOPT_TIMERFUNCTION, cb); }
