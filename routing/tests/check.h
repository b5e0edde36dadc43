/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_TESTS_CHECK_H
#define OVL_ROUTING_TESTS_CHECK_H

/* DOC: check — one-line-per-failure assertions for the routing tests. */

#include <stdio.h>

extern int check_failures;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            check_failures++;                                                 \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

#endif
