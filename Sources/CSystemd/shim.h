#ifndef SUPERVISE_CSYSTEMD_SHIM_H
#define SUPERVISE_CSYSTEMD_SHIM_H
/* Without this, sd-journal.h's sd_journal_sendv macro stamps every entry with CODE_FILE=shim.h; the
   Swift side sends the caller's own CODE_FILE/CODE_LINE/CODE_FUNC instead. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>

/* sd_notifyf and sd_journal_send are variadic; Swift formats the strings itself
   and calls these typed entry points instead. */

/** Sends one already formatted notification ("READY=1\nSTATUS=..."). */
static inline int csupervise_sd_notify(int unset_environment, const char *state) { return sd_notify(unset_environment, state); }

/** Sends one journal entry made of `count` "FIELD=value" items. */
static inline int csupervise_sd_journal_sendv(const struct iovec *iov, int count) { return sd_journal_sendv(iov, count); }

#endif
