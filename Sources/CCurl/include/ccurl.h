#ifndef SUPERVISE_CCURL_H
#define SUPERVISE_CCURL_H
#include <curl/curl.h>

/* libcurl is loaded with dlopen on first use (see curl_loader.c), so a daemon without probes
   does not carry libcurl and its TLS, LDAP and SSH libraries (about 5 MB of RSS). <curl/curl.h>
   is included for its types and constants only: the project calls libcurl through the
   trampolines below, csupervise_ + libcurl's name with libcurl's prototype, and never defines or
   links a curl_* symbol itself (calling one of <curl/curl.h>'s curl_* functions directly would
   fail to link: nothing provides it).

   curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic and cannot be called
   from Swift: one typed wrapper per argument type. */

/** Whether libcurl.so.4 could be loaded; every csupervise_curl_* call fails cleanly when it could not. */
int csupervise_curl_available(void);

CURLcode csupervise_curl_global_init(long flags);
CURL *csupervise_curl_easy_init(void);
void csupervise_curl_easy_cleanup(CURL *h);
CURLcode csupervise_curl_easy_perform(CURL *h);
const char *csupervise_curl_easy_strerror(CURLcode code);
CURLM *csupervise_curl_multi_init(void);
CURLMcode csupervise_curl_multi_cleanup(CURLM *m);
CURLMcode csupervise_curl_multi_add_handle(CURLM *m, CURL *h);
CURLMcode csupervise_curl_multi_remove_handle(CURLM *m, CURL *h);
CURLMcode csupervise_curl_multi_perform(CURLM *m, int *running);
CURLMcode csupervise_curl_multi_poll(CURLM *m, struct curl_waitfd *fds, unsigned int n, int timeout_ms, int *numfds);
CURLMcode csupervise_curl_multi_wakeup(CURLM *m);
CURLMcode csupervise_curl_multi_timeout(CURLM *m, long *ms);
CURLMsg *csupervise_curl_multi_info_read(CURLM *m, int *left);
const char *csupervise_curl_multi_strerror(CURLMcode code);
struct curl_slist *csupervise_curl_slist_append(struct curl_slist *list, const char *s);
void csupervise_curl_slist_free_all(struct curl_slist *list);

CURLcode csupervise_easy_setopt_long(CURL *h, CURLoption o, long v);
CURLcode csupervise_easy_setopt_string(CURL *h, CURLoption o, const char *v);
CURLcode csupervise_easy_setopt_pointer(CURL *h, CURLoption o, void *v);
CURLcode csupervise_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v);
CURLcode csupervise_easy_setopt_write_callback(CURL *h, curl_write_callback cb);
CURLcode csupervise_easy_setopt_header_callback(CURL *h, curl_write_callback cb);
CURLcode csupervise_easy_setopt_opensocket_callback(CURL *h, curl_opensocket_callback cb);

/** Makes the transfer's sockets inside the network namespace of process `pid` (see
    csupervise_socket_in_netns), so 127.0.0.1 is that process's loopback. */
CURLcode csupervise_easy_setopt_netns(CURL *h, int pid);

CURLcode csupervise_easy_getinfo_long(CURL *h, CURLINFO i, long *v);
CURLcode csupervise_easy_getinfo_double(CURL *h, CURLINFO i, double *v);
CURLcode csupervise_easy_getinfo_offset(CURL *h, CURLINFO i, curl_off_t *v);
CURLcode csupervise_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v);
CURLcode csupervise_easy_getinfo_string(CURL *h, CURLINFO i, char **v);

CURLMcode csupervise_multi_setopt_long(CURLM *m, CURLMoption o, long v);
CURLMcode csupervise_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v);
CURLMcode csupervise_multi_setopt_socket_callback(CURLM *m, curl_socket_callback cb);
CURLMcode csupervise_multi_setopt_timer_callback(CURLM *m, curl_multi_timer_callback cb);

#endif
