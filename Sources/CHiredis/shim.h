#ifndef SUPERVISE_CHIREDIS_SHIM_H
#define SUPERVISE_CHIREDIS_SHIM_H
/* hiredis, the C client Redis ships (Debian: libhiredis-dev; 0.14 on Debian 12). Only its blocking API is
   used: a connection with a connect timeout, a socket timeout, and commands given as argument vectors. */
#include <hiredis/hiredis.h>

/* redisCommand is variadic, and redisCommandArgv returns void *: Swift calls this typed entry point instead.
   Arguments go with their lengths, so a list name or password is sent byte for byte, never formatted. */
static inline redisReply *csupervise_redis_command(redisContext *c, int argc, const char **argv,
                                                   const size_t *lengths) {
    return (redisReply *)redisCommandArgv(c, argc, argv, lengths);
}

#endif
