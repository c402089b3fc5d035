/*
 * ipsec_policy.h - the <linux/ipsec.h> policy constants carried inside
 * SADB_X_EXT_POLICY and SADB_X_EXT_SA2, with Parapet's PARAPET_ prefix so
 * that they never clash with the system header (see pfkeyv2.h).
 * Pinned to <linux/ipsec.h> by tests/unit/keyd/test_pfkeyv2_h.c.
 */
#ifndef PARAPET_IPSEC_POLICY_H
#define PARAPET_IPSEC_POLICY_H

#include "pfkeyv2.h"

#define PARAPET_IPSEC_PORT_ANY		0
#define PARAPET_IPSEC_ULPROTO_ANY	255
#define PARAPET_IPSEC_PROTO_ANY		255

/* Modes (sadb_x_sa2_mode, sadb_x_ipsecrequest_mode). */
#define PARAPET_IPSEC_MODE_ANY		0	/* SA2 only: "transport" */
#define PARAPET_IPSEC_MODE_TRANSPORT	1
#define PARAPET_IPSEC_MODE_TUNNEL	2
#define PARAPET_IPSEC_MODE_BEET		3	/* Linux only */
#define PARAPET_IPSEC_MODE_IPTFS	4	/* Linux >= 6.14; not via PF_KEY */

/* Directions (sadb_x_policy_dir). */
#define PARAPET_IPSEC_DIR_ANY		0
#define PARAPET_IPSEC_DIR_INBOUND	1
#define PARAPET_IPSEC_DIR_OUTBOUND	2
#define PARAPET_IPSEC_DIR_FWD		3	/* Linux only */
#define PARAPET_IPSEC_DIR_MAX		4
#define PARAPET_IPSEC_DIR_INVALID	5

/* Policy types (sadb_x_policy_type). */
#define PARAPET_IPSEC_POLICY_DISCARD	0
#define PARAPET_IPSEC_POLICY_NONE	1
#define PARAPET_IPSEC_POLICY_IPSEC	2
#define PARAPET_IPSEC_POLICY_ENTRUST	3
#define PARAPET_IPSEC_POLICY_BYPASS	4

/* Levels (sadb_x_ipsecrequest_level). */
#define PARAPET_IPSEC_LEVEL_DEFAULT	0
#define PARAPET_IPSEC_LEVEL_USE		1
#define PARAPET_IPSEC_LEVEL_REQUIRE	2
#define PARAPET_IPSEC_LEVEL_UNIQUE	3

/*
 * Largest reqid a "unique:N" policy may name by hand; larger ones are
 * allocated automatically. ipsec_set_policy(3) documents 1-32767, the
 * kernel headers 0x3fff: the kernel value is authoritative.
 */
#define PARAPET_IPSEC_MANUAL_REQID_MAX	0x3fff

/* Default replay window (packets). */
#define PARAPET_IPSEC_REPLAYWSIZE	32

#endif
