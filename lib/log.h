/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_LOG_H
#define OVL_OVERLAYD_LOG_H

/*
 * DOC: log — one line per event on stderr
 *
 * Format: "LEVEL component: message\n", LEVEL one of error, warn, info,
 * debug (lowercase), e.g. "info link: host-b up (handshake 3 ms)". Lines
 * above the configured level are not formatted at all (cheap on the data
 * path). Each line is written with one write(2) so lines of concurrent
 * processes sharing a log file do not interleave.
 */

#include <stdbool.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
/* "error" | "warn" | "info" | "debug" -> level. Returns 0 or -EINVAL. */
int log_parse_level(const char *s, enum log_level *out);
void log_msg(enum log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(c, ...) log_msg(LOG_ERROR, c, __VA_ARGS__)
#define log_warn(c, ...) log_msg(LOG_WARN, c, __VA_ARGS__)
#define log_info(c, ...) log_msg(LOG_INFO, c, __VA_ARGS__)
#define log_debug(c, ...) \
    do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, c, __VA_ARGS__); } while (0)

#endif
