/*
 * esp.h - ESP (RFC 4303) encapsulation and decapsulation, in place, in
 * transport and tunnel mode, IPv4, IPv6, 4-in-6 and 6-in-4, with UDP
 * encapsulation for NAT traversal (RFC 3948).
 *
 * Pure: the sequence number, the AEAD IV (a 64-bit counter value the
 * caller guarantees unique per key) and random padding come from the
 * caller; the SA (struct xform_sa) is borrowed for the call.
 *
 * Inbound order (RFC 4303 §3.4, STYLE.md §5): esp_parse() reads the SPI
 * and the sequence number; the caller looks up the SA and checks the
 * replay window, infers seq_hi (ESN); esp_decap() authenticates, decrypts,
 * checks padding and removes the framing; the caller then advances the
 * window. Untrusted input: the whole packet.
 *
 * Buffer contract (struct xform_pkt): encap needs esp_headroom() bytes
 * before the packet and esp_tailroom() after it, and returns -EMSGSIZE
 * without touching the packet when they are missing.
 */
#ifndef PARAPET_IPSECD_ESP_H
#define PARAPET_IPSECD_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip_hdr.h"
#include "util.h"
#include "xform.h"

#define ESP_HDR_BYTES		8	/* SPI + sequence number */
#define ESP_TRAILER_BYTES	2	/* pad length + next header */

/* What esp_parse() found: enough to find the SA and check the window. */
struct esp_in {
	uint32_t	spi;		/* host order */
	uint32_t	seq_lo;		/* the 32 bits on the wire */
	bool		natt;		/* came in UDP (RFC 3948) */
	uint16_t	udp_sport;	/* host order, when natt */
	uint16_t	udp_dport;
	size_t		esp_off;	/* ESP header, from the packet start */
	size_t		esp_len;	/* ESP header to the end of the ICV */
	struct ip_info	ip;		/* the outer IP header */
};

/*
 * Parse the IP header and the ESP (or UDP + ESP) header of
 * pkt->buf[off..off+len). 0: *in is filled; XFORM_DROP: a NAT keepalive
 * (*why says so); negative errno: rejected, reason in *why.
 */
int	esp_parse(const struct xform_pkt *, struct esp_in *,
	    enum xform_reject *why) MUST_CHECK;

/*
 * Authenticate and decrypt the packet esp_parse() described (unchanged
 * since), with the high sequence bits seq_hi the caller inferred (0 and
 * unused without ESN). Then check the padding and remove ESP: in
 * transport mode the packet keeps its IP header (next header, lengths
 * and IPv4 checksum fixed; with NAT-T the TCP/UDP checksum adjusted from
 * the SA's original addresses, or computed again with XFORM_SA_NATT_CSUM);
 * with NAT-T both UDP ports must be the SA's (0: any), else
 * XFORM_REJECT_UDP_PORT; in tunnel mode pkt is narrowed to the
 * inner packet (ECN combined per RFC 6040 when the SA asks). Returns 0;
 * XFORM_DROP for an authenticated dummy packet (next header 59: advance
 * the window, then drop); or a negative errno with the reason in *why.
 * After a failed authentication the packet's bytes are unspecified.
 */
int	esp_decap(const struct xform_sa *, struct xform_pkt *,
	    const struct esp_in *, uint32_t seq_hi,
	    enum xform_reject *why) MUST_CHECK;

/*
 * Protect the IP packet in pkt with sequence number seq (its low 32 bits
 * on the wire; without ESN seq must be below 2^32) and IV iv: the AEAD's
 * and AES-CTR's 64-bit IV as is, AES-CBC's 16-byte IV made from it
 * (encrypted under the key with the SPI, so unpredictable); unique per
 * key either way (the caller's counter). -EINVAL: the packet's IP header
 * is invalid, or the SA is unusable; -ERANGE: seq too large; -EMSGSIZE:
 * not enough head/tailroom or the result exceeds 65535 bytes. On those
 * errors the packet is unchanged. -EIO: the crypto backend failed (never
 * seen; the packet is lost).
 */
int	esp_encap(const struct xform_sa *, struct xform_pkt *, uint64_t seq,
	    uint64_t iv) MUST_CHECK;

/* Head- and tailroom esp_encap() needs for this SA (worst case). */
size_t	esp_headroom(const struct xform_sa *);
size_t	esp_tailroom(const struct xform_sa *);

#endif
