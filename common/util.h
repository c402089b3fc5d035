/*
 * util.h - small compiler helpers shared by every module.
 * No state, no I/O.
 */
#ifndef PARAPET_UTIL_H
#define PARAPET_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define MUST_CHECK	__attribute__((warn_unused_result))
#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN	__attribute__((noreturn))
#define UNUSED		__attribute__((unused))
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define CACHELINE	64
#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

/*
 * protobuf-c's message structs and exec's argv want `char *` for strings
 * they only read. One audited place drops the qualifier instead of a cast
 * (which -Wcast-qual rightly flags) in every caller.
 */
static inline char *
deconst(const char *s)
{
	union {
		const char	*c;
		char		*m;
	} u = { .c = s };

	return u.m;
}

static inline uint8_t *
deconst_bytes(const uint8_t *p)
{
	union {
		const uint8_t	*c;
		uint8_t		*m;
	} u = { .c = p };

	return u.m;
}

#endif
