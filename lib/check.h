/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_TESTS_CHECK_H
#define OVL_OVERLAYD_TESTS_CHECK_H

/* Tiny assertion helper for the daemon's unit tests: one line per failure. */
#include <stdio.h>

static int check_failures;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
            check_failures++;                                                    \
        }                                                                        \
    } while (0)

#define CHECK_DONE() (check_failures ? (printf("%d check(s) failed\n", check_failures), 1) : 0)

#endif
