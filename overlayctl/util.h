/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYCTL_UTIL_H
#define OVL_OVERLAYCTL_UTIL_H

/*
 * DOC: util — what overlayctl's commands share
 *
 * Errors are one line on stderr ("overlayctl: ..."), and every function
 * that reports one returns 1 (the exit status), 0 on success. Files are
 * small and written exclusively (never overwritten); a file holding a
 * secret may be refused when group or others can read it.
 * May call: crypto/key.h, lib/.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/json.h"
#include "lib/sbuf.h"

/* "overlayctl: " + the message on stderr, after flushing stdout. Returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* @s, or a placeholder when a control byte would break the line. */
const char *cli_printable(const char *s);
/* Print the document in @b as one line and free @b. Returns 0 or 1. */
int cli_put_json(struct sbuf *b, const struct json *j);
/* "@dir/@file" into @out. Returns 0 or -ENAMETOOLONG. */
int cli_join_path(char *out, size_t cap, const char *dir, const char *file);
/* Returns 0 or a negative errno. */
int cli_write_all(int fd, const char *buf, size_t len);
/* Create @path exclusively with @mode and write @text. Returns 0 or a negative errno. */
int cli_create_file(const char *path, mode_t mode, const char *text);
/* Read a whole small regular file (NUL-terminated). Returns 0 or 1. */
int cli_read_file(const char *path, char *buf, size_t cap, size_t *len, bool private_only);
/* A one-line base64 key file into @k (32 bytes). Returns 0 or 1. */
int cli_read_key_file(const char *path, uint8_t *k, bool private_only);

#endif
