/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_CTL_CERT_H
#define OVL_OVERLAYD_CTL_CERT_H

/*
 * DOC: cli_cert — `overlayctl ca ...` and `overlayctl cert ...`
 *
 *   ca init DIR
 *   cert issue --ca DIR --name NAME --pubkey KEY [--enclaves LIST] [--valid DURATION]
 *   cert show FILE [--ca DIR | --authority KEY]
 *
 * The file I/O and clock reads around crypto/cert.h. None of it needs a
 * running daemon. DIR/authority.key holds the base64 32-byte Ed25519 seed
 * (mode 0600), DIR/authority.pub the base64 public key; see
 * docs/certificates.md. Errors are one line on stderr, "overlayctl: ...".
 * With --json (before the command or anywhere among its arguments) each
 * prints one JSON document instead of text (docs/config.md).
 */

#include <stdbool.h>

/*
 * argv[0] is "ca" or "cert", argv[1] the subcommand. Returns the process
 * exit code: 0 on success, 1 on any error.
 */
int cli_cert_main(int argc, char **argv);
/* The same, with --json already given (@json) before the command. */
int cli_cert_run(int argc, char **argv, bool json);

#endif
