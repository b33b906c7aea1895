#define _GNU_SOURCE
#include "cprobefloor.h"
#include "floor_clock.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* The kernel's share of an HTTP probe: the same GETs as curl_floor.c over keep-alive sockets,
   with a fixed request and just enough parsing to know where a response ends. */

typedef struct {
    int fd;
    int busy;
    size_t have;
    char buffer[2048];
} floor_connection;

/** Whether `c` holds a whole response: headers, then Content-Length bytes of body. */
static int response_complete(const floor_connection *c) {
    const char *end = memmem(c->buffer, c->have, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t header_bytes = (size_t)(end - c->buffer) + 4;
    size_t body = 0;
    for (const char *line = c->buffer; line < end; ) {
        const char *next = memmem(line, (size_t)(end - line), "\r\n", 2);
        if (!next) next = end;
        if ((size_t)(next - line) > 15 && strncasecmp(line, "content-length:", 15) == 0)
            body = strtoul(line + 15, NULL, 10);
        line = next + 2;
    }
    return c->have >= header_bytes + body;
}

static int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int csupervise_floor_sockets(const int *ports, int nports, int rate, int slot_ms, int seconds,
                             csupervise_floor_result *out) {
    const int per_slot = rate * slot_ms / 1000;
    // Enough connections per port for every GET of a slot to have its own, twice over.
    const int per_port = 2 * (per_slot + nports - 1) / nports + 1;
    const int count = per_port * nports;
    floor_connection *connections = calloc((size_t)count, sizeof *connections);
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    int status = 0;
    for (int i = 0; i < count; i++) connections[i].fd = -1;
    for (int i = 0; i < count && status == 0; i++) {
        connections[i].fd = connect_loopback(ports[i % nports]);
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = &connections[i]};
        if (connections[i].fd < 0 || epoll_ctl(epoll, EPOLL_CTL_ADD, connections[i].fd, &event) != 0) status = -1;
    }
    char request[128];
    const int request_length = snprintf(request, sizeof request,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: supervise-probe\r\nAccept: */*\r\n\r\n");

    const long long slot_ns = slot_ms * 1000000LL;
    long long next = floor_now_ns();
    long completed = 0, failed = 0;
    int cursor = 0;
    floor_window window;
    floor_window_init(&window, seconds);
    while (status == 0 && !floor_window_over(&window, &completed, &failed)) {
        if (floor_now_ns() >= next) {
            for (int i = 0; i < per_slot; i++, cursor = (cursor + 1) % count) {
                floor_connection *c = &connections[cursor];
                if (c->busy) { failed++; continue; } // still waiting for its previous answer
                c->busy = 1;
                c->have = 0;
                if (send(c->fd, request, (size_t)request_length, MSG_NOSIGNAL) != request_length) {
                    c->busy = 0;
                    failed++;
                }
            }
            next += slot_ns;
        }
        struct epoll_event events[64];
        int ready = epoll_wait(epoll, events, 64, floor_ms_until(next));
        for (int i = 0; i < ready; i++) {
            floor_connection *c = events[i].data.ptr;
            ssize_t n = recv(c->fd, c->buffer + c->have, sizeof c->buffer - c->have, 0);
            if (n <= 0) {
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                status = -1; // the server closed a keep-alive connection: the figure would be wrong
                break;
            }
            c->have += (size_t)n;
            if (c->busy && (response_complete(c) || c->have == sizeof c->buffer)) {
                c->busy = 0;
                completed++;
            }
        }
    }
    if (window.measuring) floor_window_close(&window, out);
    out->completed = completed;
    out->failed = failed;
    for (int i = 0; i < count; i++) if (connections[i].fd >= 0) close(connections[i].fd);
    close(epoll);
    free(connections);
    return status;
}
