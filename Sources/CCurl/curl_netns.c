#include "ccurl.h"
#include "csupervise_sys.h"
#include <stdint.h>

/* CURLOPT_OPENSOCKETFUNCTION: curl's socket for this transfer is made inside the network
   namespace of the process whose pid is the callback data. */
static curl_socket_t open_in_netns(void *clientp, curlsocktype purpose, struct curl_sockaddr *address) {
    (void)purpose;
    int fd = csupervise_socket_in_netns((pid_t)(intptr_t)clientp, address->family, address->socktype, address->protocol);
    return fd < 0 ? CURL_SOCKET_BAD : fd;
}

CURLcode csupervise_easy_setopt_netns(CURL *h, int pid) {
    CURLcode code = csupervise_easy_setopt_pointer(h, CURLOPT_OPENSOCKETDATA, (void *)(intptr_t)pid);
    if (code != CURLE_OK) return code;
    return csupervise_easy_setopt_opensocket_callback(h, open_in_netns);
}
