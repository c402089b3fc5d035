/*
 * test_server_connect.c - server_on_connect() (common/server.c): a
 * server's hooks run once its bus connection is up, in the order they
 * were registered, with the connection usable from the hook; more than
 * SERVER_CONNECT_HOOKS_MAX is -ENOSPC. ipsecd and netd start their
 * resynchronisation there (a restart does not wait for a tick).
 *
 * The parent runs a broker; a forked child runs server_main() without a
 * supervisor against it; the child's last hook exits with 42 when all is
 * as it should be, another code naming what was wrong otherwise.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "bus.h"
#include "server.h"

#define WANT_EXIT	42

static struct server *child_srv;
static int order;

static void
hook_first(void *arg)
{
	int *n = arg;

	if (!bus_client_connected(server_bus(child_srv)))
		_exit(3);
	*n = *n * 10 + 1;
}

static void
hook_last(void *arg)
{
	(void)arg;
	if (order != 1)
		_exit(4);
	_exit(WANT_EXIT);
}

static void
hook_never(void *arg)
{
	(void)arg;
	_exit(5);
}

static int
child_init(struct server *s, void *arg)
{
	int i;

	(void)arg;
	child_srv = s;
	if (server_on_connect(s, hook_first, &order) != 0 ||
	    server_on_connect(s, hook_last, NULL) != 0)
		_exit(6);
	for (i = 2; i < SERVER_CONNECT_HOOKS_MAX; i++)
		if (server_on_connect(s, hook_never, NULL) != 0)
			_exit(7);
	if (server_on_connect(s, hook_never, NULL) != -ENOSPC)
		_exit(8);
	if (order != 0)
		_exit(9);	/* a hook before the loop even ran */
	return 0;
}

struct watch {
	pid_t		 pid;
	int		 status;
	bool		 done;
	unsigned int	 ticks;
};

static void
on_watch(uv_timer_t *t)
{
	struct watch *w = t->data;

	if (waitpid(w->pid, &w->status, WNOHANG) == w->pid)
		w->done = true;
	else if (++w->ticks > 1000)	/* 10 s */
		kill(w->pid, SIGKILL);
	else
		return;
	uv_stop(t->loop);
}

static void
test_hooks_run_on_connect(void **state)
{
	static const struct server_def def = {
		.name = "hooked",
		.region_side = SERVER_REGIONS_NONE,
		.init = child_init,
	};
	char dir[] = "/tmp/test-server-connect.XXXXXX", path[64];
	struct bus_broker_cfg bc = { .path = path, .instance = "test" };
	struct bus_broker *b = NULL;
	struct watch w = { 0 };
	uv_timer_t timer;
	uv_loop_t loop;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bus.sock", dir);
	w.pid = fork();
	assert_true(w.pid >= 0);
	if (w.pid == 0) {
		char *argv[] = { "hooked", "-s", path, "-n", "hooked", NULL };

		close(3);	/* no handoff: a server without supervisor */
		_exit(server_main(5, argv, &def) == 0 ? 10 : 11);
	}
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(bus_broker_create(&loop, &bc, &b), 0);
	assert_int_equal(uv_timer_init(&loop, &timer), 0);
	timer.data = &w;
	assert_int_equal(uv_timer_start(&timer, on_watch, 10, 10), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (!w.done)
		assert_int_equal(waitpid(w.pid, &w.status, 0), w.pid);
	bus_broker_destroy(b);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	rmdir(dir);
	assert_true(WIFEXITED(w.status));
	assert_int_equal(WEXITSTATUS(w.status), WANT_EXIT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hooks_run_on_connect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
