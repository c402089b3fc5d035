/*
 * pfkey_wire.h - wire helpers shared by the PF_KEY parser and builder
 * (private to keyd_core).
 *
 * PF_KEY is a host interface: lengths, types and most numbers travel in
 * the byte order of the host (rd_h16() and friends in common/rd.h, wr.h),
 * while SPIs, ports and addresses travel in network order.
 */
#ifndef PARAPET_PFKEY_WIRE_H
#define PARAPET_PFKEY_WIRE_H

#include <stdint.h>

#include "rd.h"
#include "wr.h"

/* Octets of the sockaddr for a family; 0 for any other family. */
size_t	pfkey_sockaddr_len(uint16_t family);

#endif
