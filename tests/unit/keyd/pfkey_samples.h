/*
 * pfkey_samples.h - valid PF_KEY v2 datagrams of every message type, in
 * both directions, built with the keyd_core builder. The unit tests check
 * that each is accepted; tests/fuzz/gen_pfkey_seeds.c writes them out as
 * the fuzz corpus, which the unit tests then hold to these bytes (golden
 * files). Little-endian hosts produce the committed seeds.
 */
#ifndef PARAPET_PFKEY_SAMPLES_H
#define PARAPET_PFKEY_SAMPLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PFKEY_SAMPLE_MAX	4096

struct pfkey_sample {
	const char	*name;		/* also the seed's file name */
	bool		 reply;		/* keyd to client: parse_reply() */
	/*
	 * Not in the builder's canonical form (fields the parser ignores
	 * hold junk, as ipsec-tools leaves them): rebuilding the parsed
	 * view gives other bytes with the same values.
	 */
	bool		 quirk;
	/* Build into buf (PFKEY_SAMPLE_MAX octets); 0 or negative errno. */
	int		(*build)(uint8_t *buf, size_t cap, size_t *len);
};

extern const struct pfkey_sample pfkey_samples[];
extern const size_t pfkey_nsamples;

const struct pfkey_sample *pfkey_sample_find(const char *name);

/* Raw helpers on a built datagram (host byte order, test use only). */
size_t	pfkey_sample_ext_off(const uint8_t *buf, size_t len, uint16_t type);
void	pfkey_sample_put16(uint8_t *buf, size_t off, uint16_t v);
void	pfkey_sample_put32(uint8_t *buf, size_t off, uint32_t v);
uint16_t pfkey_sample_get16(const uint8_t *buf, size_t off);

#endif
