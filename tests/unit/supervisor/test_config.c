/*
 * test_config.c - the supervisor's configuration parser: the shipped
 * default parses to what it says; each kind of bad line is one row that
 * expects its exact "file:line: expected ..." messages, in order.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

#define MINI	"[server keyd]\n"	/* the smallest valid file */

struct row {
	const char	*name;
	const char	*text;
	const char	*want[4];	/* NULL-terminated */
};

static const struct row bad_rows[] = {
	{ "no servers", "[supervisor]\n",
	  { "t.conf:1: expected at least one [server NAME] section" } },
	{ "empty file", "",
	  { "t.conf:1: expected at least one [server NAME] section" } },
	{ "key before section", "a = 1\n" MINI,
	  { "t.conf:1: expected a [section] header before \"a\"" } },
	{ "no equals", MINI "binary\n",
	  { "t.conf:2: expected \"key = value\", \"[section]\" or a "
	    "comment, got \"binary\"" } },
	{ "empty key", MINI "= x\n",
	  { "t.conf:2: expected a key before \"=\"" } },
	{ "unclosed header", MINI "[server x\nbinary = y\n",
	  { "t.conf:2: expected \"]\" to close the section header" } },
	{ "junk after header", MINI "[server x] y\n",
	  { "t.conf:2: expected nothing but a comment after \"]\"" } },
	{ "unknown section", MINI "[foo]\nbar = 1\n",
	  { "t.conf:2: expected [supervisor], [server NAME], [region NAME], "
	    "or netd's [netd] or [link NAME], got \"[foo]\"" } },
	{ "netd with a name", MINI "[netd x]\nmode = host\n",
	  { "t.conf:2: expected [supervisor], [server NAME], [region NAME], "
	    "or netd's [netd] or [link NAME], got \"[netd x]\"" } },
	{ "link without a name", MINI "[link]\ntype = tap\n",
	  { "t.conf:2: expected [supervisor], [server NAME], [region NAME], "
	    "or netd's [netd] or [link NAME], got \"[link]\"" } },
	{ "our errors around netd's sections", "[netd]\nmode = x\n"
	  "[server keyd]\ncolour = red\n[link a b]\n[link wire]\n"
	  "type = ppp\n[supervisor]\ndebug = maybe\n",
	  { "t.conf:4: expected a key of [server NAME] (binary args after "
	    "user ready_timeout_ms restart_min_ms restart_max_ms "
	    "restart_stable_ms crashloop_crashes crashloop_window_ms "
	    "store_records store_record_bytes), got \"colour\"",
	    "t.conf:5: expected [supervisor], [server NAME], [region NAME], "
	    "or netd's [netd] or [link NAME], got \"[link a b]\"",
	    "t.conf:9: expected yes or no for \"debug\", got \"maybe\"" } },
	{ "server without name", MINI "[server]\n",
	  { "t.conf:2: expected a name after \"server\"" } },
	{ "bad server name", MINI "[server Keyd]\n",
	  { "t.conf:2: expected a server name of 1 to 32 characters a-z "
	    "0-9 _ . -, got \"Keyd\"" } },
	{ "reserved name", MINI "[server supervisor]\n",
	  { "t.conf:2: expected a server name other than \"supervisor\" "
	    "and \"broker\" (bus names of their own)" } },
	{ "duplicate server", MINI "\n[server keyd]\n",
	  { "t.conf:3: expected one [server keyd] section, already on "
	    "line 1" } },
	{ "duplicate supervisor", "[supervisor]\n[supervisor]\n" MINI,
	  { "t.conf:2: expected one [supervisor] section, already on "
	    "line 1" } },
	{ "unknown key", MINI "colour = red\n",
	  { "t.conf:2: expected a key of [server NAME] (binary args after "
	    "user ready_timeout_ms restart_min_ms restart_max_ms "
	    "restart_stable_ms crashloop_crashes crashloop_window_ms "
	    "store_records store_record_bytes), got \"colour\"" } },
	{ "store records", MINI "store_records = 20000000\n",
	  { "t.conf:2: expected a number from 0 to 16777216 for "
	    "\"store_records\", got \"20000000\"" } },
	{ "store record bytes", MINI "store_record_bytes = 100\n",
	  { "t.conf:1: expected store_record_bytes to be a multiple of 8, "
	    "got 100" } },
	{ "duplicate key", MINI "binary = a\nbinary = b\n",
	  { "t.conf:3: expected \"binary\" once in this section, already "
	    "on line 2" } },
	{ "number not a number", "[supervisor]\nstop_grace_ms = soon\n" MINI,
	  { "t.conf:2: expected a number from 1 to 3600000 for "
	    "\"stop_grace_ms\", got \"soon\"" } },
	{ "number too big", "[supervisor]\nready_timeout_ms = 99999999999\n"
	  MINI,
	  { "t.conf:2: expected a number from 1 to 3600000 for "
	    "\"ready_timeout_ms\", got \"99999999999\"" } },
	{ "number zero", MINI "ready_timeout_ms = 0\n",
	  { "t.conf:2: expected a number from 1 to 3600000 for "
	    "\"ready_timeout_ms\", got \"0\"" } },
	{ "mode not octal", "[supervisor]\nbus_mode = 0689\n" MINI,
	  { "t.conf:2: expected an octal file mode from 0 to 0777 for "
	    "\"bus_mode\", got \"0689\"" } },
	{ "bool", "[supervisor]\ndebug = maybe\n" MINI,
	  { "t.conf:2: expected yes or no for \"debug\", got \"maybe\"" } },
	{ "empty path", "[supervisor]\nrun_dir =\n" MINI,
	  { "t.conf:2: expected a path of 1 to 255 bytes for \"run_dir\"" } },
	{ "bad user", MINI "user = -x\n",
	  { "t.conf:2: expected a user name for \"user\", got \"-x\"" } },
	{ "too many args", MINI "args = a b c d e f g h i j k l m n o p q\n",
	  { "t.conf:2: expected at most 16 words in 255 bytes for "
	    "\"args\"" } },
	{ "unknown dependency", MINI "after = nosuch\n",
	  { "t.conf:2: expected a [server] name in \"after\", \"nosuch\" is "
	    "not one" } },
	{ "self dependency", MINI "after = keyd\n",
	  { "t.conf:2: expected other servers in \"after\", not keyd "
	    "itself" } },
	{ "cycle", "[server a]\nafter = b\n[server b]\nafter = c\n"
	  "[server c]\nafter = a\n",
	  { "t.conf:2: expected no dependency cycle in \"after\", got "
	    "a -> b -> c -> a" } },
	{ "region without sides", MINI "[region r]\n",
	  { "t.conf:2: expected \"side_a\" in [region r]",
	    "t.conf:2: expected \"side_b\" in [region r]" } },
	{ "region unknown side", MINI "[server n]\n[region r]\n"
	  "side_a = n\nside_b = x\n",
	  { "t.conf:5: expected a [server] name for \"side_b\", \"x\" is "
	    "not one" } },
	{ "region same side", MINI "[region r]\nside_a = keyd\n"
	  "side_b = keyd\n",
	  { "t.conf:4: expected different servers for side_a and side_b" } },
	{ "region geometry", MINI "[server n]\n[region r]\nside_a = n\n"
	  "side_b = keyd\nslots = 1000\nslot_bytes = 1000\n"
	  "headroom = 600\ntailroom = 400\n",
	  { "t.conf:3: expected slots to be a power of two, got 1000",
	    "t.conf:3: expected slot_bytes to be a multiple of 64, got 1000",
	    "t.conf:3: expected headroom + tailroom (1000) below slot_bytes "
	    "(1000)" } },
	{ "policy min above max", "[supervisor]\nrestart_min_ms = 500\n"
	  "restart_max_ms = 100\n" MINI,
	  { "t.conf:1: expected restart_min_ms (500) <= restart_max_ms "
	    "(100)" } },
	{ "server policy override", MINI "restart_max_ms = 50\n",
	  { "t.conf:1: expected restart_min_ms (100) <= restart_max_ms "
	    "(50)" } },
	{ "NUL byte", MINI "binary = a\0b\n",
	  { "t.conf:2: expected text, got a NUL byte" } },
	{ "control character", MINI "binary = a\033b\n",
	  { "t.conf:2: expected a path of 1 to 255 bytes for \"binary\"" } },
	{ "every bad line", "[supervisor]\nx = 1\ny\n[server keyd]\n"
	  "after = z\n",
	  { "t.conf:2: expected a key of [supervisor] (run_dir bus_socket "
	    "pidfile bin_dir bus_mode ready_timeout_ms stop_grace_ms debug "
	    "restart_min_ms restart_max_ms restart_stable_ms "
	    "crashloop_crashes crashloop_window_ms), got \"x\"",
	    "t.conf:3: expected \"key = value\", \"[section]\" or a comment, "
	    "got \"y\"",
	    "t.conf:5: expected a [server] name in \"after\", \"z\" is not "
	    "one" } },
	{ "keys under a bad header are skipped", "[server X]\nfoo = 1\n"
	  "bar = 2\n" MINI,
	  { "t.conf:1: expected a server name of 1 to 32 characters a-z "
	    "0-9 _ . -, got \"X\"" } },
	{ "indented line is not a continuation", MINI "binary = a\n"
	  "   nokey\n",
	  { "t.conf:3: expected \"key = value\", \"[section]\" or a comment, "
	    "got \"nokey\"" } },
	/* The text is built in test_long_line(). */
};

static void
check_row(const struct row *r, size_t len)
{
	struct config *cfg = malloc(sizeof(*cfg));
	struct config_errors *e = malloc(sizeof(*e));
	size_t i, nwant = 0;
	int rc;

	assert_non_null(cfg);
	assert_non_null(e);
	while (nwant < nitems(r->want) && r->want[nwant] != NULL)
		nwant++;
	rc = config_parse("t.conf", (const uint8_t *)r->text, len, cfg, e);
	for (i = 0; i < e->n; i++)
		print_message("  [%s] got: %s\n", r->name, e->msg[i]);
	assert_int_equal(rc, -EINVAL);
	assert_int_equal(e->total, nwant);
	for (i = 0; i < nwant; i++)
		assert_string_equal(e->msg[i], r->want[i]);
	free(cfg);
	free(e);
}

/* The rows contain a NUL byte in one case, so lengths are sizeof - 1 of
 * the literal; strlen would stop early. Rows are literals, so compute the
 * length from the source text where it matters. */
static void
test_bad_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nitems(bad_rows); i++) {
		const struct row *r = &bad_rows[i];
		size_t len = strlen(r->text);

		if (strcmp(r->name, "NUL byte") == 0)
			len = sizeof(MINI "binary = a\0b\n") - 1;
		check_row(r, len);
	}
}

static void
test_long_line(void **state)
{
	char text[600];
	struct row r = { "long line", text,
		{ "t.conf:2: expected a line of at most 198 characters" } };

	(void)state;
	snprintf(text, sizeof(text), MINI "args = %0400d\n", 7);
	check_row(&r, strlen(text));
}

static struct config *
parse_ok(const char *text)
{
	struct config *cfg = malloc(sizeof(*cfg));
	struct config_errors e;
	size_t i;
	int rc;

	assert_non_null(cfg);
	rc = config_parse("ok.conf", (const uint8_t *)text, strlen(text), cfg,
	    &e);
	for (i = 0; i < e.n; i++)
		print_message("  unexpected: %s\n", e.msg[i]);
	assert_int_equal(rc, 0);
	return cfg;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The configuration shipped in the tree parses to what it says. */
static void
test_shipped_default(void **state)
{
	const char *src = getenv("PARAPET_SRCDIR");
	char path[1024];
	struct config *cfg;
	char *text;
	int k, n, p, i;

	(void)state;
	snprintf(path, sizeof(path), "%s/etc/parapetd.conf",
	    src != NULL ? src : ".");
	text = slurp(path);
	cfg = parse_ok(text);
	assert_string_equal(cfg->run_dir, "/run/parapet");
	assert_string_equal(cfg->bus_socket, "bus.sock");
	assert_int_equal(cfg->bus_mode, 0600);
	assert_int_equal(cfg->nservers, 4);
	assert_int_equal(cfg->nregions, 1);
	k = config_server_index(cfg, "keyd");
	p = config_server_index(cfg, "policyd");
	i = config_server_index(cfg, "ipsecd");
	n = config_server_index(cfg, "netd");
	assert_true(k >= 0 && p >= 0 && i >= 0 && n >= 0);
	assert_string_equal(cfg->servers[p].binary, "policyd");
	assert_int_equal(cfg->servers[n].ndeps, 2);
	assert_int_equal(cfg->regions[0].side[0], n);
	assert_int_equal(cfg->regions[0].side[1], i);
	assert_int_equal(cfg->regions[0].slots, 1024);
	assert_int_equal(cfg->servers[k].restart.min_ms, 100);
	assert_int_equal(cfg->servers[k].ready_timeout_ms, 5000);
	free(cfg);
	free(text);
}

/* Server keys inherit [supervisor] values unless set; order of sections
 * does not matter; comments, blanks, BOM and CRLF are fine. */
static void
test_inherit_and_syntax(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("\xef\xbb\xbf; comment\r\n"
	    "[server a]\r\n"
	    "  restart_max_ms = 700 ; inline comment\n"
	    "args = -x  -y\n"
	    "# another comment\n"
	    "[server b]\n"
	    "after = a\n"
	    "[supervisor]\n"
	    "restart_max_ms = 900\n"
	    "ready_timeout_ms = 42\n"
	    "debug = yes\n"
	    "bus_mode = 0660\n");
	assert_int_equal(cfg->servers[0].restart.max_ms, 700);
	assert_int_equal(cfg->servers[1].restart.max_ms, 900);
	assert_int_equal(cfg->servers[0].ready_timeout_ms, 42);
	assert_string_equal(cfg->servers[0].args, "-x  -y");
	assert_string_equal(cfg->servers[1].binary, "b");
	assert_int_equal(cfg->servers[1].deps[0], 0);
	assert_true(cfg->debug);
	assert_int_equal(cfg->bus_mode, 0660);
	free(cfg);
}

/*
 * One file for a whole host: netd's [netd] and [link NAME] sections (and
 * their keys, whatever they are: netd checks them) are skipped, and
 * sections of ours after them are read as usual.
 */
static void
test_netd_sections_skipped(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("[netd]\nmode = gateway\naddress = 192.0.2.1\n"
	    "[server keyd]\n"
	    "[link host]\ntype = tap\nrole = host\nifname = tap0\n"
	    "binary = not-ours\n"
	    "[server netd]\nafter = keyd\nargs = -c host.conf\n"
	    "[link Wire-0]\nanything = at all\n"
	    "[supervisor]\nstop_grace_ms = 77\n");
	assert_int_equal(cfg->nservers, 2);
	assert_string_equal(cfg->servers[0].binary, "keyd");
	assert_string_equal(cfg->servers[1].args, "-c host.conf");
	assert_int_equal(cfg->servers[1].ndeps, 1);
	assert_int_equal(cfg->stop_grace_ms, 77);
	free(cfg);
}

/* The examples shipped in the tree (one file per host or gateway) parse;
 * every server of the stack is there and netd reads the same file. */
static void
test_shipped_examples(void **state)
{
	static const char *const ex[] = {
		"host-a.conf", "host-b.conf", "gw-a.conf", "gw-b.conf",
	};
	const char *src = getenv("PARAPET_SRCDIR");
	char path[1024], want[64];
	struct config *cfg;
	char *text;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < nitems(ex); i++) {
		print_message("  %s\n", ex[i]);
		snprintf(path, sizeof(path), "%s/etc/examples/%s",
		    src != NULL ? src : ".", ex[i]);
		text = slurp(path);
		cfg = parse_ok(text);
		assert_int_equal(cfg->nservers, 4);
		assert_int_equal(cfg->nregions, 1);
		assert_true(config_server_index(cfg, "keyd") >= 0);
		assert_true(config_server_index(cfg, "policyd") >= 0);
		assert_true(config_server_index(cfg, "ipsecd") >= 0);
		n = config_server_index(cfg, "netd");
		assert_true(n >= 0);
		snprintf(want, sizeof(want), "-c etc/examples/%s", ex[i]);
		assert_string_equal(cfg->servers[n].args, want);
		free(cfg);
		free(text);
	}
}

static void
test_split_and_paths(void **state)
{
	struct config *cfg;
	char buf[64], *argv[4];
	char out[16];

	(void)state;
	assert_int_equal(config_split_args(" a\tb  c ", buf, sizeof(buf), argv,
	    4), 3);
	assert_string_equal(argv[2], "c");
	assert_int_equal(config_split_args("a b c d e", buf, sizeof(buf), argv,
	    4), -E2BIG);
	assert_int_equal(config_path_join(out, sizeof(out), "/x", "y"), 0);
	assert_string_equal(out, "/x/y");
	assert_int_equal(config_path_join(out, sizeof(out), "/x/", "/abs"), 0);
	assert_string_equal(out, "/abs");
	assert_int_equal(config_path_join(out, sizeof(out), "/a", "0123456789"
	    "abcdef"), -ENAMETOOLONG);

	cfg = parse_ok("[supervisor]\nrun_dir = run\npidfile = /p.pid\n"
	    MINI);
	assert_int_equal(config_resolve(cfg, "/cwd"), 0);
	assert_string_equal(cfg->run_dir, "/cwd/run");
	assert_string_equal(cfg->bus_socket, "/cwd/run/bus.sock");
	assert_string_equal(cfg->pidfile, "/p.pid");
	free(cfg);
}

static void
test_names(void **state)
{
	static const struct {
		const char	*s;
		bool		 ok;
	} rows[] = {
		{ "keyd", true }, { "a.b-c_9", true }, { "", false },
		{ "Keyd", false }, { "a b", false }, { "a/b", false },
		{ "0123456789abcdef0123456789abcdef", true },
		{ "0123456789abcdef0123456789abcdefx", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		print_message("  name \"%s\"\n", rows[i].s);
		assert_int_equal(config_name_ok(rows[i].s), rows[i].ok);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_shipped_default),
		cmocka_unit_test(test_inherit_and_syntax),
		cmocka_unit_test(test_netd_sections_skipped),
		cmocka_unit_test(test_shipped_examples),
		cmocka_unit_test(test_split_and_paths),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
