/*
 * ipsecd_crypto.h - ipsecd's side of the crypto backend selection
 * (crypto_select.h): the override from the command line (-C SPEC, taken
 * out of argv before the common server options are parsed) or the
 * environment (PARAPET_CRYPTO), the clock for the measurement, the log
 * lines and the counters crypto.<alg>.<backend>.<why> that parapetctl
 * shows.
 */
#ifndef PARAPET_IPSECD_CRYPTO_H
#define PARAPET_IPSECD_CRYPTO_H

#include "server.h"

/*
 * Remove every "-C SPEC" (or "-CSPEC") from argv, keeping the last SPEC
 * as the override; *argc shrinks. SPEC: ALG=BACKEND[,ALG=BACKEND...].
 */
void	ipsecd_crypto_args(int *argc, char **argv);
/* The override -C gave (borrowed from argv), or NULL. */
const char *ipsecd_crypto_override(void);

/*
 * After xform_init(): self-tests, selection, log, counters. -ENOMEM or
 * a counter error; a bad override item is only logged.
 */
int	ipsecd_crypto_start(struct server *) MUST_CHECK;

#endif
