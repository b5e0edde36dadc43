/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_MAC_H
#define OVL_OVERLAYD_MAC_H

/*
 * DOC: mac — Ethernet MAC addresses in text
 *
 * Text form (contract): lowercase "aa:bb:cc:dd:ee:ff". Parsing accepts
 * either case, exactly six two-digit groups separated by ':'.
 */

#include <stdbool.h>
#include <stdint.h>

enum { MAC_STR_LEN = 17 };

int mac_parse(const char *s, uint8_t mac[6]);       /* 0 or -EINVAL */
void mac_format(const uint8_t mac[6], char out[MAC_STR_LEN + 1]);
/* A guest's own address: unicast and not all-zero. */
bool mac_is_guest(const uint8_t mac[6]);

#endif
