/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_LIB_CHECK_H
#define OVL_LIB_CHECK_H

/*
 * DOC: check — the one assertion header of every C unit test.
 *
 *   CHECK(cond)               counts a check; on failure prints
 *   CHECK(cond, fmt, ...)     "file:line: check failed: cond[: message]"
 *                             to stderr and counts a failure. Its value is
 *                             whether cond held, so a test may stop early:
 *                             if (!CHECK(p != NULL)) return;
 *   CHECK_EQ(a, b)            integer equality; prints both values.
 *   CHECK_DONE()              main's return value: 0, or 1 after printing
 *                             "N of M check(s) failed".
 *
 * check_failures and check_count are shared by every translation unit of
 * one test executable (a test may be split over several files).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

__attribute__((weak)) int check_failures;
__attribute__((weak)) int check_count;

static inline bool check_note_(bool ok, const char *file, int line, const char *expr)
{
    check_count++;
    if (!ok) {
        check_failures++;
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
    }
    return ok;
}

__attribute__((format(printf, 5, 6)))
static inline bool check_note_msg_(bool ok, const char *file, int line, const char *expr,
                                   const char *fmt, ...)
{
    va_list ap;

    check_count++;
    if (!ok) {
        check_failures++;
        fprintf(stderr, "%s:%d: check failed: %s: ", file, line, expr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    return ok;
}

static inline bool check_eq_(long long a, long long b, const char *file, int line,
                             const char *ea, const char *eb)
{
    check_count++;
    if (a != b) {
        check_failures++;
        fprintf(stderr, "%s:%d: check failed: %s == %lld, expected %s == %lld\n", file, line,
                ea, a, eb, b);
    }
    return a == b;
}

/* CHECK with one argument or with a message: pick by the argument count. */
#define CHECK_PICK_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, \
                    name, ...) name
#define CHECK_1_(cond) check_note_(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_M_(cond, ...) check_note_msg_(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
#define CHECK(...)                                                                       \
    CHECK_PICK_(__VA_ARGS__, CHECK_M_, CHECK_M_, CHECK_M_, CHECK_M_, CHECK_M_, CHECK_M_, \
                CHECK_M_, CHECK_M_, CHECK_M_, CHECK_M_, CHECK_M_, CHECK_M_, CHECK_M_,    \
                CHECK_M_, CHECK_M_, CHECK_1_, unused)(__VA_ARGS__)

#define CHECK_EQ(a, b) check_eq_((long long)(a), (long long)(b), __FILE__, __LINE__, #a, #b)

#define CHECK_DONE()                                                                     \
    (check_failures ? (fprintf(stderr, "%d of %d check(s) failed\n", check_failures,     \
                               check_count), 1)                                          \
                    : 0)

#endif
