/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * overlayctl's shared helpers: one-line errors, JSON output, and the
 * small-file I/O of the key and authority commands.
 */
#include "overlayctl/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/key.h"

enum { CLI_KEYFILE_MAX = 256 };

int cli_fail(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("overlayctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

/* @s for quoting in a message, unless a control byte would break the line. */
const char *cli_printable(const char *s)
{
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "(value with control characters)";
    return s;
}

/* Print the document @b holds as one line; 0 or 1 (error printed). */
int cli_put_json(struct sbuf *b, const struct json *j)
{
    int rc = 0;

    if (sbuf_oom(b) || j->failed)
        rc = cli_fail("out of memory");
    else
        printf("%s\n", sbuf_str(b));
    sbuf_free(b);
    if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
        rc = cli_fail("stdout: %s", strerror(errno));
    return rc;
}

int cli_join_path(char *out, size_t cap, const char *dir, const char *file)
{
    int w = snprintf(out, cap, "%s/%s", dir, file);

    return (w < 0 || (size_t)w >= cap) ? -ENAMETOOLONG : 0;
}

int cli_write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Create @path exclusively with @mode and write @text; never overwrites. */
int cli_create_file(const char *path, mode_t mode, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    int ret;

    if (fd < 0)
        return -errno;
    ret = cli_write_all(fd, text, strlen(text));
    if (ret == 0 && fsync(fd) < 0)
        ret = -errno;
    if (close(fd) < 0 && ret == 0)
        ret = -errno;
    return ret;
}

/*
 * Read a whole small regular file. With @private_only, refuse a file that
 * group or others may access: it holds the authority's secret.
 */
int cli_read_file(const char *path, char *buf, size_t cap, size_t *len, bool private_only)
{
    struct stat st;
    size_t off = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return cli_fail("%s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cli_fail("%s: not a regular file", path);
    }
    if (private_only && (st.st_mode & 077)) {
        close(fd);
        return cli_fail("%s: accessible by group or others (mode %04o); run chmod 600 %s", path,
                    (unsigned)(st.st_mode & 07777), path);
    }
    for (;;) {
        ssize_t r = read(fd, buf + off, cap - 1 - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return cli_fail("%s: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        off += (size_t)r;
        if (off == cap - 1) {
            close(fd);
            return cli_fail("%s: larger than %zu bytes", path, cap - 2);
        }
    }
    close(fd);
    buf[off] = '\0';
    *len = off;
    return 0;
}

/* Read a one-line base64 key file into @k (32 bytes). */
int cli_read_key_file(const char *path, uint8_t *k, bool private_only)
{
    char text[CLI_KEYFILE_MAX];
    size_t len;
    int ret;

    /* A failed read (file too long, say) may still have copied secret bytes. */
    if (cli_read_file(path, text, sizeof(text), &len, private_only)) {
        sodium_memzero(text, sizeof(text));
        return 1;
    }
    ret = key_from_base64(k, text);
    sodium_memzero(text, sizeof(text));
    if (ret < 0)
        return cli_fail("%s: not a base64 32-byte key (44 characters on one line)", path);
    return 0;
}

