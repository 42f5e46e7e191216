/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_DAEMON_ACCESS_H
#define UR_DAEMON_ACCESS_H

/*
 * "hosts allow" and "hosts deny" of a module, with rsync's rules: a match
 * in the allow list always lets in; an allow list without a deny list
 * keeps everyone else out; a match in the deny list keeps out; anyone
 * else comes in. An item is an address (IPv4 or IPv6), ADDR/BITS or
 * ADDR/MASK, a host name pattern with wildcards matched against the
 * client's name, or a plain host name whose addresses are looked up.
 */

#include <stdbool.h>

/* Does the module let the client at addr (numeric) named host (from the
 * reverse lookup, "UNKNOWN" or "UNDETERMINED") in? forward: "forward
 * lookup" (resolve plain names in the lists). */
bool ur_daemon_access_ok(const char *allow, const char *deny, const char *addr, const char *host,
			 bool forward);

/* Does one item match? (deny: an unresolvable name counts as a match,
 * failing closed.) Exposed for the unit test. */
bool ur_daemon_access_item(const char *item, const char *addr, const char *host, bool forward,
			   bool deny);

#endif
