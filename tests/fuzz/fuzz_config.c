/*
 * fuzz_config.c - the supervisor's configuration parser on arbitrary
 * bytes: config_parse() must never crash, read out of bounds or leak,
 * whatever it is given; what it accepts must build a service table.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "svc_table.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	static struct config_errors errs;
	static struct svc_table t;

	if (config_parse("fuzz.conf", data, size, &cfg, &errs) != 0)
		return 0;
	/* Accepted: dependencies must be acyclic and regions consistent. */
	if (svc_table_init(&t, &cfg, NULL, NULL) != 0)
		abort();
	return 0;
}
