/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_UDP_INT_H
#define OVL_OVERLAYD_DATAPATH_UDP_INT_H

/* Socket options older libc headers lack (Linux 4.18 and 5.0 have them). */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

#endif
