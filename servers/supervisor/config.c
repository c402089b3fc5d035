/*
 * config.c - the supervisor's INI configuration (config.h).
 *
 * inih tokenises; we own everything else. Our reader hands inih one line
 * at a time and counts lines (Debian's inih is built without
 * INI_HANDLER_LINENO), so the handler knows where it is. The reader also
 * classifies each line first, with inih's own rules: it strips leading
 * blanks (which also turns off inih's multi-line continuation, where an
 * indented "key = value" would silently become part of the previous
 * value), reports what inih would only count as an error, and hands inih
 * an empty line instead, so that each bad line is reported exactly once.
 * Section headers are parsed here too, so keys under a bad header are
 * skipped rather than reported one by one. netd's sections ([netd] and
 * [link NAME]) are skipped whole, keys unchecked: one file can configure
 * a whole host, and netd checks them when given the same file.
 *
 * Input is untrusted: bytes are checked (NUL, length, control characters)
 * before they are copied; every field has a bound.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"

enum sect {
	SECT_NONE,		/* before the first header */
	SECT_BAD,		/* after a bad header: keys are skipped */
	SECT_NETD,		/* [netd], [link NAME]: netd's, skipped */
	SECT_SUPERVISOR,
	SECT_SERVER,
	SECT_REGION,
};

enum key_type {
	K_PATH,
	K_USER,
	K_U32,
	K_MODE,
	K_BOOL,
	K_ARGS,
	K_AFTER,		/* server names, resolved after parsing */
	K_SIDE_A,		/* a server name, resolved after parsing */
	K_SIDE_B,
};

struct key_rule {
	const char	*key;
	size_t		 off;	/* in struct config / _server / _region */
	size_t		 size;
	enum sect	 sect;
	enum key_type	 type;
	uint32_t	 min;	/* K_U32 */
	uint32_t	 max;
};

#define RULE(s, st, k, t, f, lo, hi) { .sect = s, .key = k, .type = t, \
	.off = offsetof(st, f), .size = sizeof(((st *)0)->f), .min = lo, \
	.max = hi }
#define SUP(k, t, f, lo, hi) \
	RULE(SECT_SUPERVISOR, struct config, k, t, f, lo, hi)
#define SRV(k, t, f, lo, hi) \
	RULE(SECT_SERVER, struct config_server, k, t, f, lo, hi)
#define REG(k, t, f, lo, hi) \
	RULE(SECT_REGION, struct config_region, k, t, f, lo, hi)
#define RAW(s, k, t) { .sect = s, .key = k, .type = t }

#define MS_MAX		3600000u	/* an hour */

/* Server keys that share a name with a [supervisor] key inherit its value
 * when a server leaves them out. */
static const struct key_rule rules[] = {
	SUP("run_dir", K_PATH, run_dir, 0, 0),
	SUP("bus_socket", K_PATH, bus_socket, 0, 0),
	SUP("pidfile", K_PATH, pidfile, 0, 0),
	SUP("bin_dir", K_PATH, bin_dir, 0, 0),
	SUP("bus_mode", K_MODE, bus_mode, 0, 0777),
	SUP("ready_timeout_ms", K_U32, ready_timeout_ms, 1, MS_MAX),
	SUP("stop_grace_ms", K_U32, stop_grace_ms, 1, MS_MAX),
	SUP("debug", K_BOOL, debug, 0, 0),
	SUP("restart_min_ms", K_U32, restart.min_ms, 1, MS_MAX),
	SUP("restart_max_ms", K_U32, restart.max_ms, 1, MS_MAX),
	SUP("restart_stable_ms", K_U32, restart.stable_ms, 1, MS_MAX),
	SUP("crashloop_crashes", K_U32, restart.loop_crashes, 2,
	    RESTART_HISTORY_MAX),
	SUP("crashloop_window_ms", K_U32, restart.loop_window_ms, 1, MS_MAX),

	SRV("binary", K_PATH, binary, 0, 0),
	SRV("args", K_ARGS, args, 0, 0),
	RAW(SECT_SERVER, "after", K_AFTER),
	SRV("user", K_USER, user, 0, 0),
	SRV("ready_timeout_ms", K_U32, ready_timeout_ms, 1, MS_MAX),
	SRV("restart_min_ms", K_U32, restart.min_ms, 1, MS_MAX),
	SRV("restart_max_ms", K_U32, restart.max_ms, 1, MS_MAX),
	SRV("restart_stable_ms", K_U32, restart.stable_ms, 1, MS_MAX),
	SRV("crashloop_crashes", K_U32, restart.loop_crashes, 2,
	    RESTART_HISTORY_MAX),
	SRV("crashloop_window_ms", K_U32, restart.loop_window_ms, 1, MS_MAX),
	SRV("store_records", K_U32, store_records, 0, 1u << 24),
	SRV("store_record_bytes", K_U32, store_record_bytes, 64, 65536),

	RAW(SECT_REGION, "side_a", K_SIDE_A),
	RAW(SECT_REGION, "side_b", K_SIDE_B),
	REG("slots", K_U32, slots, 2, 65536),
	REG("slot_bytes", K_U32, slot_bytes, 256, 65536),
	REG("headroom", K_U32, headroom, 0, 65536),
	REG("tailroom", K_U32, tailroom, 0, 65536),
};
#define NRULES	nitems(rules)
_Static_assert(NRULES <= 64, "rules must fit the seen/set masks");

static const char *const sect_names[] = {
	[SECT_NONE] = "",
	[SECT_BAD] = "",
	[SECT_NETD] = "",
	[SECT_SUPERVISOR] = "[supervisor]",
	[SECT_SERVER] = "[server NAME]",
	[SECT_REGION] = "[region NAME]",
};

/* Parse state, one per config_parse() call. */
struct pctx {
	const char		*file;
	const uint8_t		*buf;
	size_t			 len;
	size_t			 pos;
	unsigned		 lineno;
	struct config		*cfg;
	struct config_errors	*errs;

	enum sect		 sect;
	size_t			 idx;		/* server or region index */
	unsigned		 seen[NRULES];	/* line of each key in this
						   section; 0: not yet */
	unsigned		 sup_line;	/* [supervisor] header */
	uint64_t		 srv_set[CONFIG_SERVERS_MAX]; /* rule bits */

	char			 after[CONFIG_SERVERS_MAX][CONFIG_ARGS_MAX];
	unsigned		 after_line[CONFIG_SERVERS_MAX];
	char			 side[CONFIG_REGIONS_MAX][2]
				     [CONFIG_NAME_MAX + 1];
	unsigned		 side_line[CONFIG_REGIONS_MAX][2];
};

static void err(struct pctx *, unsigned, const char *, ...) PRINTFLIKE(3, 4);

/* Record "file:line: expected <fmt>". */
static void
err(struct pctx *c, unsigned line, const char *fmt, ...)
{
	struct config_errors *e = c->errs;
	va_list ap;
	int n;

	e->total++;
	if (e->n >= CONFIG_ERRORS_MAX)
		return;
	n = snprintf(e->msg[e->n], CONFIG_ERROR_LEN, "%s:%u: expected ",
	    c->file, line);
	if (n < 0 || (size_t)n >= CONFIG_ERROR_LEN)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg[e->n] + n, CONFIG_ERROR_LEN - (size_t)n, fmt, ap);
	va_end(ap);
	e->n++;
}

bool
config_name_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++) {
		char ch = s[n];

		if (n >= CONFIG_NAME_MAX)
			return false;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return n > 0;
}

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f' ||
	    ch == '\r' || ch == '\n';
}

/* Printable ASCII and tabs only: a config value must not smuggle control
 * characters into our logs or a child's argv. */
static bool
text_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return false;
	}
	return true;
}

/*
 * inih's find_chars_or_comment(): the first of `chars`, or an inline
 * comment (';' after a blank), or the end of the string.
 */
static const char *
find_or_comment(const char *s, const char *chars)
{
	bool was_blank = false;

	while (*s != '\0' && strchr(chars, *s) == NULL &&
	    !(was_blank && *s == ';')) {
		was_blank = is_blank(*s);
		s++;
	}
	return s;
}

/* ---- section headers ---- */

static void
sect_reset(struct pctx *c, enum sect s, size_t idx)
{
	c->sect = s;
	c->idx = idx;
	memset(c->seen, 0, sizeof(c->seen));
}

static int
find_named(const struct pctx *c, enum sect s, const char *name)
{
	return s == SECT_SERVER ? config_server_index(c->cfg, name) :
	    config_region_index(c->cfg, name);
}

static void
header_named(struct pctx *c, enum sect s, const char *name)
{
	const char *what = "server";
	size_t max = CONFIG_SERVERS_MAX, *n = &c->cfg->nservers;
	int prev;

	if (s == SECT_REGION) {
		what = "region";
		max = CONFIG_REGIONS_MAX;
		n = &c->cfg->nregions;
	}
	sect_reset(c, SECT_BAD, 0);
	if (*name == '\0') {
		err(c, c->lineno, "a name after \"%s\"", what);
		return;
	}
	if (!config_name_ok(name)) {
		err(c, c->lineno, "a %s name of 1 to %d characters a-z 0-9 _ "
		    ". -, got \"%.40s\"", what, CONFIG_NAME_MAX, name);
		return;
	}
	if (s == SECT_SERVER && (strcmp(name, "supervisor") == 0 ||
	    strcmp(name, "broker") == 0)) {
		err(c, c->lineno, "a server name other than \"supervisor\" "
		    "and \"broker\" (bus names of their own)");
		return;
	}
	if ((prev = find_named(c, s, name)) >= 0) {
		err(c, c->lineno, "one [%s %s] section, already on line %u",
		    what, name, s == SECT_SERVER ?
		    c->cfg->servers[prev].line : c->cfg->regions[prev].line);
		return;
	}
	if (*n >= max) {
		err(c, c->lineno, "at most %zu [%s NAME] sections", max, what);
		return;
	}
	if (s == SECT_SERVER) {
		struct config_server *sv = &c->cfg->servers[*n];

		snprintf(sv->name, sizeof(sv->name), "%s", name);
		snprintf(sv->binary, sizeof(sv->binary), "%s", name);
		sv->store_record_bytes = CONFIG_STORE_RECORD_BYTES;
		sv->line = c->lineno;
	} else {
		struct config_region *r = &c->cfg->regions[*n];

		snprintf(r->name, sizeof(r->name), "%s", name);
		r->slots = CONFIG_SLOTS;
		r->slot_bytes = CONFIG_SLOT_BYTES;
		r->headroom = CONFIG_HEADROOM;
		r->tailroom = CONFIG_TAILROOM;
		r->line = c->lineno;
	}
	sect_reset(c, s, (*n)++);
}

/*
 * netd's sections ([netd] and [link NAME], netd_conf.c), so that one file
 * configures a whole host: the supervisor skips them and their keys, and
 * netd, given the same file (args = -c FILE), checks them and skips ours.
 * A link's name is netd's to check; a header of netd's shape with extra
 * words is no section of anyone's.
 */
static bool
netd_header(const char *kind, const char *name, const char *extra)
{
	if (kind == NULL || extra != NULL)
		return false;
	if (strcmp(kind, "netd") == 0)
		return name == NULL;
	return strcmp(kind, "link") == 0 && name != NULL;
}

/* `h` is the header without its brackets, NUL-terminated, writable. */
static void
header(struct pctx *c, char *h)
{
	char *kind, *name, *extra, *save = NULL, copy[64];

	snprintf(copy, sizeof(copy), "%s", h);
	kind = strtok_r(h, " \t", &save);
	name = kind != NULL ? strtok_r(NULL, " \t", &save) : NULL;
	extra = name != NULL ? strtok_r(NULL, " \t", &save) : NULL;
	if (kind != NULL && strcmp(kind, "supervisor") == 0 && name == NULL) {
		sect_reset(c, SECT_BAD, 0);
		if (c->sup_line != 0) {
			err(c, c->lineno, "one [supervisor] section, already "
			    "on line %u", c->sup_line);
			return;
		}
		c->sup_line = c->lineno;
		sect_reset(c, SECT_SUPERVISOR, 0);
		return;
	}
	if (netd_header(kind, name, extra)) {
		sect_reset(c, SECT_NETD, 0);
		return;
	}
	if (kind != NULL && extra == NULL && (strcmp(kind, "server") == 0 ||
	    strcmp(kind, "region") == 0)) {
		header_named(c, strcmp(kind, "server") == 0 ? SECT_SERVER :
		    SECT_REGION, name != NULL ? name : "");
		return;
	}
	sect_reset(c, SECT_BAD, 0);
	err(c, c->lineno, "[supervisor], [server NAME], [region NAME], or "
	    "netd's [netd] or [link NAME], got \"[%.40s]\"", copy);
}

/*
 * Classify one line (leading blanks stripped, NUL-terminated, writable).
 * Returns true to hand it to inih, false to hand inih an empty line.
 */
static bool
classify(struct pctx *c, char *s)
{
	const char *end, *p;

	if (*s == '\0' || *s == ';' || *s == '#')
		return true;
	if (*s == '[') {
		end = find_or_comment(s + 1, "]");
		if (*end != ']') {
			sect_reset(c, SECT_BAD, 0);
			err(c, c->lineno, "\"]\" to close the section header");
			return false;
		}
		for (p = end + 1; *p != '\0' && is_blank(*p); p++)
			continue;
		if (*p != '\0' && *p != ';' && *p != '#') {
			sect_reset(c, SECT_BAD, 0);
			err(c, c->lineno, "nothing but a comment after \"]\"");
			return false;
		}
		s[end - s] = '\0';
		header(c, s + 1);
		return false;	/* inih need not track sections */
	}
	end = find_or_comment(s, "=:");
	if (*end != '=' && *end != ':') {
		err(c, c->lineno, "\"key = value\", \"[section]\" or a "
		    "comment, got \"%.40s\"", s);
		return false;
	}
	if (end == s) {
		err(c, c->lineno, "a key before \"%c\"", *end);
		return false;
	}
	return true;
}

/* inih's reader: one line per call, like fgets(). */
static char *
reader(char *str, int num, void *stream)
{
	struct pctx *c = stream;
	const uint8_t *line, *nl;
	size_t n, room;

	if (c->pos >= c->len || num < 2)
		return NULL;
	line = c->buf + c->pos;
	nl = memchr(line, '\n', c->len - c->pos);
	n = nl != NULL ? (size_t)(nl - line) : c->len - c->pos;
	c->pos += n + (nl != NULL ? 1 : 0);
	c->lineno++;
	str[0] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (c->lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		n -= 3;
	}
	if (memchr(line, '\0', n) != NULL) {
		err(c, c->lineno, "text, got a NUL byte");
		return str;
	}
	while (n > 0 && is_blank((char)*line)) {
		line++;
		n--;
	}
	room = (size_t)num - 1;
	if (n > room - 1) {	/* inih needs one byte of slack */
		err(c, c->lineno, "a line of at most %zu characters",
		    room - 1);
		return str;
	}
	memcpy(str, line, n);
	str[n] = '\0';
	if (!classify(c, str))
		str[0] = '\0';
	return str;
}

/* ---- values ---- */

static const struct key_rule *
rule_find(enum sect s, const char *key, size_t *ri)
{
	size_t i;

	for (i = 0; i < NRULES; i++)
		if (rules[i].sect == s && strcmp(rules[i].key, key) == 0) {
			*ri = i;
			return &rules[i];
		}
	return NULL;
}

static void
unknown_key(struct pctx *c, const char *key)
{
	char list[200];
	size_t i, used = 0;
	int n;

	list[0] = '\0';
	for (i = 0; i < NRULES; i++) {
		if (rules[i].sect != c->sect)
			continue;
		n = snprintf(list + used, sizeof(list) - used, "%s%s",
		    used > 0 ? " " : "", rules[i].key);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			break;
		used += (size_t)n;
	}
	err(c, c->lineno, "a key of %s (%s), got \"%.40s\"",
	    sect_names[c->sect], list, key);
}

static int
parse_u32(const char *v, unsigned base, uint32_t *out)
{
	unsigned long long x = 0;
	const char *p;

	if (*v == '\0')
		return -EINVAL;
	for (p = v; *p != '\0'; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		d = (unsigned)(*p - '0');
		if (d >= base)
			return -EINVAL;
		x = x * base + d;
		if (x > UINT32_MAX)
			return -ERANGE;
	}
	*out = (uint32_t)x;
	return 0;
}

static int
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < nitems(yes); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static bool
user_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++) {
		char ch = s[n];

		if (n >= CONFIG_NAME_MAX)
			return false;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		    (ch == '-' && n > 0)))
			return false;
	}
	return n > 0;
}

static int
count_words(const char *s)
{
	int n = 0;
	bool in = false;

	for (; *s != '\0'; s++) {
		if (is_blank(*s))
			in = false;
		else if (!in) {
			in = true;
			n++;
		}
	}
	return n;
}

/* Store the value of a raw key (resolved after parsing). */
static void
set_raw(struct pctx *c, const struct key_rule *r, const char *key,
    const char *v)
{
	if (r->type == K_AFTER) {
		if (strlen(v) >= CONFIG_ARGS_MAX || !text_ok(v)) {
			err(c, c->lineno, "server names for \"%s\", at most "
			    "%d bytes", key, CONFIG_ARGS_MAX - 1);
			return;
		}
		snprintf(c->after[c->idx], CONFIG_ARGS_MAX, "%s", v);
		c->after_line[c->idx] = c->lineno;
		return;
	}
	if (!config_name_ok(v)) {
		err(c, c->lineno, "a server name for \"%s\", got \"%.40s\"",
		    key, v);
		return;
	}
	snprintf(c->side[c->idx][r->type == K_SIDE_B],
	    CONFIG_NAME_MAX + 1, "%s", v);
	c->side_line[c->idx][r->type == K_SIDE_B] = c->lineno;
}

/* Check and store one value into `base` (the section's struct). */
static void
set_value(struct pctx *c, const struct key_rule *r, const char *key,
    const char *v, char *base)
{
	uint32_t u;
	bool b;

	switch (r->type) {
	case K_PATH:
		if (*v == '\0' || strlen(v) >= r->size || !text_ok(v))
			err(c, c->lineno, "a path of 1 to %zu bytes for "
			    "\"%s\"", r->size - 1, key);
		else
			memcpy(base + r->off, v, strlen(v) + 1);
		break;
	case K_USER:
		if (!user_ok(v))
			err(c, c->lineno, "a user name for \"%s\", got "
			    "\"%.40s\"", key, v);
		else
			memcpy(base + r->off, v, strlen(v) + 1);
		break;
	case K_ARGS:
		if (strlen(v) >= r->size || !text_ok(v) ||
		    count_words(v) > CONFIG_ARGV_MAX)
			err(c, c->lineno, "at most %d words in %zu bytes "
			    "for \"%s\"", CONFIG_ARGV_MAX, r->size - 1, key);
		else
			memcpy(base + r->off, v, strlen(v) + 1);
		break;
	case K_U32:
		if (parse_u32(v, 10, &u) != 0 || u < r->min || u > r->max)
			err(c, c->lineno, "a number from %u to %u for \"%s\", "
			    "got \"%.40s\"", r->min, r->max, key, v);
		else
			memcpy(base + r->off, &u, sizeof(u));
		break;
	case K_MODE:
		if (parse_u32(v, 8, &u) != 0 || u > r->max)
			err(c, c->lineno, "an octal file mode from 0 to 0777 "
			    "for \"%s\", got \"%.40s\"", key, v);
		else
			memcpy(base + r->off, &u, sizeof(u));
		break;
	case K_BOOL:
		if (parse_bool(v, &b) != 0)
			err(c, c->lineno, "yes or no for \"%s\", got \"%.40s\"",
			    key, v);
		else
			memcpy(base + r->off, &b, sizeof(b));
		break;
	case K_AFTER:
	case K_SIDE_A:
	case K_SIDE_B:
		set_raw(c, r, key, v);
		break;
	}
}

static char *
sect_base(struct pctx *c)
{
	switch (c->sect) {
	case SECT_SUPERVISOR:
		return (char *)c->cfg;
	case SECT_SERVER:
		return (char *)&c->cfg->servers[c->idx];
	case SECT_REGION:
		return (char *)&c->cfg->regions[c->idx];
	default:
		return NULL;
	}
}

static int
handler(void *user, const char *section, const char *key, const char *v)
{
	struct pctx *c = user;
	const struct key_rule *r;
	size_t ri;
	char *base;

	(void)section;	/* we track sections ourselves */
	if (c->sect == SECT_BAD || c->sect == SECT_NETD)
		return 1;
	if (c->sect == SECT_NONE) {
		err(c, c->lineno, "a [section] header before \"%.40s\"", key);
		return 1;
	}
	if ((r = rule_find(c->sect, key, &ri)) == NULL) {
		unknown_key(c, key);
		return 1;
	}
	if (c->seen[ri] != 0) {
		err(c, c->lineno, "\"%s\" once in this section, already on "
		    "line %u", key, c->seen[ri]);
		return 1;
	}
	c->seen[ri] = c->lineno;
	if (c->sect == SECT_SERVER)
		c->srv_set[c->idx] |= 1ull << ri;
	base = sect_base(c);
	if (base != NULL)
		set_value(c, r, key, v, base);
	return 1;
}

/* ---- after parsing: defaults, references, cross-field rules ---- */

static void
inherit(struct pctx *c)
{
	struct config *cfg = c->cfg;
	size_t i, ri, si;

	for (i = 0; i < cfg->nservers; i++) {
		char *dst = (char *)&cfg->servers[i];

		for (ri = 0; ri < NRULES; ri++) {
			if (rules[ri].sect != SECT_SERVER ||
			    (c->srv_set[i] & (1ull << ri)) != 0 ||
			    rule_find(SECT_SUPERVISOR, rules[ri].key, &si) ==
			    NULL)
				continue;
			memcpy(dst + rules[ri].off, (char *)cfg + rules[si].off,
			    rules[ri].size);
		}
	}
}

static void
policy_check(struct pctx *c, const struct restart_policy *p, unsigned line)
{
	if (p->min_ms > p->max_ms)
		err(c, line, "restart_min_ms (%u) <= restart_max_ms (%u)",
		    p->min_ms, p->max_ms);
}

static void
resolve_after(struct pctx *c, size_t i)
{
	struct config_server *sv = &c->cfg->servers[i];
	char buf[CONFIG_ARGS_MAX], *w, *save = NULL;
	unsigned line = c->after_line[i];
	size_t k;
	int d;

	snprintf(buf, sizeof(buf), "%s", c->after[i]);
	for (w = strtok_r(buf, " \t,", &save); w != NULL;
	    w = strtok_r(NULL, " \t,", &save)) {
		if ((d = config_server_index(c->cfg, w)) < 0) {
			err(c, line, "a [server] name in \"after\", \"%.40s\" "
			    "is not one", w);
			continue;
		}
		if ((size_t)d == i) {
			err(c, line, "other servers in \"after\", not %s "
			    "itself", sv->name);
			continue;
		}
		for (k = 0; k < sv->ndeps; k++)
			if (sv->deps[k] == (uint8_t)d)
				break;
		if (k == sv->ndeps)
			sv->deps[sv->ndeps++] = (uint8_t)d;
	}
}

/*
 * Depth-first search for a cycle through `i`; path holds the names. The
 * recursion is at most CONFIG_SERVERS_MAX deep.
 */
static bool
/* NOLINTNEXTLINE(misc-no-recursion): bounded, see above */
cycle_from(const struct config *cfg, size_t i, uint8_t *mark,
    char *path, size_t pathlen)
{
	const struct config_server *sv = &cfg->servers[i];
	size_t k, used = strlen(path);

	snprintf(path + used, pathlen - used, "%s%s", used > 0 ? " -> " : "",
	    sv->name);
	if (mark[i] == 1)
		return true;		/* back on the current path */
	if (mark[i] == 2) {
		path[used] = '\0';
		return false;		/* explored: no cycle through it */
	}
	mark[i] = 1;
	for (k = 0; k < sv->ndeps; k++)
		if (cycle_from(cfg, sv->deps[k], mark, path, pathlen))
			return true;
	mark[i] = 2;
	path[used] = '\0';
	return false;
}

static void
check_cycles(struct pctx *c)
{
	uint8_t mark[CONFIG_SERVERS_MAX] = { 0 };
	char path[200];
	size_t i;

	for (i = 0; i < c->cfg->nservers; i++) {
		path[0] = '\0';
		if (mark[i] == 0 &&
		    cycle_from(c->cfg, i, mark, path, sizeof(path))) {
			err(c, c->after_line[i] != 0 ? c->after_line[i] :
			    c->cfg->servers[i].line,
			    "no dependency cycle in \"after\", got %s", path);
			return;
		}
	}
}

static void
check_region(struct pctx *c, size_t ri)
{
	struct config_region *r = &c->cfg->regions[ri];
	static const char *const key[2] = { "side_a", "side_b" };
	int s[2] = { -1, -1 };
	size_t k;

	for (k = 0; k < 2; k++) {
		if (c->side_line[ri][k] == 0) {
			err(c, r->line, "\"%s\" in [region %s]", key[k],
			    r->name);
			continue;
		}
		if ((s[k] = config_server_index(c->cfg, c->side[ri][k])) < 0)
			err(c, c->side_line[ri][k], "a [server] name for "
			    "\"%s\", \"%s\" is not one", key[k],
			    c->side[ri][k]);
		else
			r->side[k] = (uint8_t)s[k];
	}
	if (s[0] >= 0 && s[0] == s[1])
		err(c, c->side_line[ri][1], "different servers for side_a "
		    "and side_b");
	if ((r->slots & (r->slots - 1)) != 0)
		err(c, r->line, "slots to be a power of two, got %u", r->slots);
	if (r->slot_bytes % 64 != 0)
		err(c, r->line, "slot_bytes to be a multiple of 64, got %u",
		    r->slot_bytes);
	if ((uint64_t)r->headroom + r->tailroom >= r->slot_bytes)
		err(c, r->line, "headroom + tailroom (%u) below slot_bytes "
		    "(%u)", r->headroom + r->tailroom, r->slot_bytes);
}

static void
finish(struct pctx *c)
{
	struct config *cfg = c->cfg;
	size_t i;

	if (cfg->nservers == 0) {
		err(c, c->lineno > 0 ? c->lineno : 1,
		    "at least one [server NAME] section");
		return;
	}
	policy_check(c, &cfg->restart, c->sup_line > 0 ? c->sup_line : 1);
	inherit(c);
	for (i = 0; i < cfg->nservers; i++) {
		/* A server's own overrides are checked at its header; what
		 * it inherits was checked at [supervisor]. */
		if (memcmp(&cfg->servers[i].restart, &cfg->restart,
		    sizeof(cfg->restart)) != 0)
			policy_check(c, &cfg->servers[i].restart,
			    cfg->servers[i].line);
		resolve_after(c, i);
		if (cfg->servers[i].store_record_bytes % 8 != 0)
			err(c, cfg->servers[i].line, "store_record_bytes to be "
			    "a multiple of 8, got %u",
			    cfg->servers[i].store_record_bytes);
	}
	check_cycles(c);
	for (i = 0; i < cfg->nregions; i++)
		check_region(c, i);
}

static void
defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->run_dir, sizeof(cfg->run_dir), "%s",
	    CONFIG_DEFAULT_RUN_DIR);
	snprintf(cfg->bus_socket, sizeof(cfg->bus_socket), "%s",
	    CONFIG_DEFAULT_BUS_SOCKET);
	snprintf(cfg->pidfile, sizeof(cfg->pidfile), "%s",
	    CONFIG_DEFAULT_PIDFILE);
	cfg->bus_mode = CONFIG_BUS_MODE;
	cfg->ready_timeout_ms = CONFIG_READY_TIMEOUT_MS;
	cfg->stop_grace_ms = CONFIG_STOP_GRACE_MS;
	restart_policy_default(&cfg->restart);
}

int
config_parse(const char *file, const uint8_t *buf, size_t len,
    struct config *cfg, struct config_errors *errs)
{
	struct pctx *c;

	memset(errs, 0, sizeof(*errs));
	defaults(cfg);
	/* ~13 KiB of raw strings: keep it off the stack. */
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->file = file;
	c->buf = buf;
	c->len = len;
	c->cfg = cfg;
	c->errs = errs;
	c->sect = SECT_NONE;
	/* Our reader and handler report every problem themselves and never
	 * give inih a line it could refuse, so its result carries nothing. */
	(void)ini_parse_stream(reader, c, handler, c);
	finish(c);
	free(c);
	return errs->total == 0 ? 0 : -EINVAL;
}

int
config_server_index(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nservers; i++)
		if (strcmp(cfg->servers[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
config_region_index(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nregions; i++)
		if (strcmp(cfg->regions[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
config_split_args(const char *args, char *buf, size_t buflen, char **argv,
    size_t max)
{
	char *w, *save = NULL;
	size_t n = 0;

	if (strlen(args) >= buflen)
		return -E2BIG;
	memcpy(buf, args, strlen(args) + 1);
	for (w = strtok_r(buf, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		if (n >= max)
			return -E2BIG;
		argv[n++] = w;
	}
	return (int)n;
}

int
config_path_join(char *out, size_t outlen, const char *dir, const char *path)
{
	int n;

	if (path[0] == '/' || dir[0] == '\0')
		n = snprintf(out, outlen, "%s", path);
	else
		n = snprintf(out, outlen, "%s%s%s", dir,
		    dir[strlen(dir) - 1] == '/' ? "" : "/", path);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

int
config_resolve(struct config *cfg, const char *cwd)
{
	char tmp[CONFIG_PATH_MAX];
	int error;

	if ((error = config_path_join(tmp, sizeof(tmp), cwd,
	    cfg->run_dir)) != 0)
		return error;
	memcpy(cfg->run_dir, tmp, sizeof(tmp));
	if ((error = config_path_join(tmp, sizeof(tmp), cfg->run_dir,
	    cfg->bus_socket)) != 0)
		return error;
	memcpy(cfg->bus_socket, tmp, sizeof(tmp));
	if ((error = config_path_join(tmp, sizeof(tmp), cfg->run_dir,
	    cfg->pidfile)) != 0)
		return error;
	memcpy(cfg->pidfile, tmp, sizeof(tmp));
	if (cfg->bin_dir[0] != '\0') {
		if ((error = config_path_join(tmp, sizeof(tmp), cwd,
		    cfg->bin_dir)) != 0)
			return error;
		memcpy(cfg->bin_dir, tmp, sizeof(tmp));
	}
	return 0;
}
