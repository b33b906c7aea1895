#ifndef SUPERVISE_CCURL_H
#define SUPERVISE_CCURL_H
#include <curl/curl.h>

/* libcurl is loaded with dlopen on first use (see curl_loader.c), so a daemon without probes
   does not carry libcurl and its TLS, LDAP and SSH libraries (about 5 MB of RSS). The curl_*
   functions the project calls are defined there as trampolines with curl's own prototypes.

   curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic and cannot be called
   from Swift: one typed wrapper per argument type. */

/** Whether libcurl.so.4 could be loaded; every curl_* call fails cleanly when it could not. */
int csupervise_curl_available(void);

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
