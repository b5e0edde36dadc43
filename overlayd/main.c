/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * overlayd -c FILE [--log-level error|warn|info|debug] [--check]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "overlayd/datapath/peer_admit.h"
#include "overlayd/config/config.h"
#include "overlayd/daemon.h"
#include "lib/log.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: overlayd -c FILE [--log-level error|warn|info|debug] [--check]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "log-level", required_argument, NULL, 'l' },
        { "check", no_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = NULL;
    bool check = false;
    enum log_level level = LOG_INFO;
    struct config *cfg = NULL;
    static struct daemon d;
    uv_loop_t *loop;
    int c, rc;

    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'l':
            if (log_parse_level(optarg, &level) < 0) {
                fprintf(stderr, "overlayd: bad log level '%s' (error, warn, info, debug)\n",
                        optarg);
                return 1;
            }
            break;
        case 'k':
            check = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (!path || optind != argc) {
        usage(stderr);
        return 1;
    }
    log_set_level(level);

    rc = config_load(path, config_report_stderr, NULL, &cfg);
    /* Our own certificate (Authority mode): a bad one is a config error. */
    if (rc == 0 && admit_check_config(cfg, admit_now_unix(), config_report_stderr, NULL) < 0) {
        config_free(cfg);
        cfg = NULL;
        rc = -EINVAL;
    }
    if (check) {
        config_free(cfg);
        return rc == 0 ? 0 : 1;
    }
    if (rc < 0) {
        log_error("config", "%s: invalid configuration, not starting", path);
        return 1;
    }

    /* A control client that hangs up early must not kill the daemon. */
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();
    rc = daemon_start(&d, loop, cfg);
    if (rc < 0) {
        log_error("daemon", "start failed: %s", strerror(-rc));
        d.exit_code = 1;
        daemon_stop(&d);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    rc = d.exit_code;
    daemon_cleanup(&d);
    uv_loop_close(loop);
    log_info("daemon", "exited");
    return rc;
}
