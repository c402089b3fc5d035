/*
 * fuzz_netd_conf.c - libFuzzer target for netd's configuration parser
 * and its -P policy specs (servers/netd/netd_conf.c). The input is
 * parsed as a netd.conf (any bytes, NULs included) and, NUL-terminated,
 * as a policy spec; whatever a spec gives must pass spd_entry_valid().
 * Any other outcome aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netd_conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct netd_conf c;
	struct spd_entry e;
	char *b;

	if ((b = malloc(size + 1)) == NULL)
		return 0;
	memcpy(b, data, size);
	b[size] = '\0';
	if (netd_conf_parse("fuzz", b, size, &c) == 0 &&
	    (netd_conf_role(&c, NETD_ROLE_HOST) == NULL ||
	    netd_conf_role(&c, NETD_ROLE_WIRE) == NULL || c.nerrors != 0))
		abort();
	if (netd_conf_policy(b, &e) == 0 && spd_entry_valid(&e) != 0)
		abort();
	free(b);
	return 0;
}
