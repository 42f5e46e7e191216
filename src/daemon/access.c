/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hosts allow / hosts deny (see access.h for the rules). */
#include "daemon/access.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/net.h"

/* An address in 16 bytes (IPv4 as ::ffff:a.b.c.d) and how many of its
 * leading bits are the IPv4 prefix (96) or 0. */
static bool parse_addr(const char *s, uint8_t out[16], int *v4_base)
{
	struct in_addr a4;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		*v4_base = 96;
		return true;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		*v4_base = memcmp(out, mapped, 12) ? 0 : 96;
		return true;
	}
	return false;
}

static bool match_address(const char *addr, const char *item)
{
	char tok[128];
	uint8_t a[16], t[16], m[16];
	int abase, tbase;
	snprintf(tok, sizeof(tok), "%s", item);
	char *slash = strchr(tok, '/');
	if (slash)
		*slash++ = '\0';
	/* a name, not an address */
	if (tok[strspn(tok, ".0123456789")] && !strchr(tok, ':'))
		return false;
	if (!parse_addr(addr, a, &abase) || !parse_addr(tok, t, &tbase) || abase != tbase)
		return false;
	memset(m, 0xff, sizeof(m));
	if (slash) {
		int mbase;
		if (strspn(slash, "0123456789") == strlen(slash) && *slash) {
			long bits = strtol(slash, NULL, 10) + tbase;
			if (bits < tbase || bits > 128)
				return false;
			memset(m, 0, sizeof(m));
			for (int i = 0; i < bits; i++)
				m[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		} else if (!parse_addr(slash, m, &mbase) || mbase != tbase) {
			return false;
		}
	}
	for (int i = 0; i < 16; i++)
		if ((a[i] & m[i]) != (t[i] & m[i]))
			return false;
	return true;
}

static bool match_hostname(const char *item, const char *addr, const char *host, bool forward,
			   bool deny)
{
	if (host && *host && !fnmatch(item, host, FNM_CASEFOLD))
		return true;
	if (!forward)
		return false;
	/* an address or a pattern is not a name to look up */
	if (!item[strspn(item, ".0123456789")] || item[strcspn(item, ":/*?[")])
		return false;
	char **addrs = NULL;
	int n = ur_net_resolve(item, &addrs);
	if (n <= 0) {
		free(addrs);
		return deny; /* cannot prove the client is not that host */
	}
	bool hit = false;
	for (int i = 0; i < n; i++) {
		hit = hit || !strcmp(addrs[i], addr);
		free(addrs[i]);
	}
	free(addrs);
	return hit;
}

bool ur_daemon_access_item(const char *item, const char *addr, const char *host, bool forward,
			   bool deny)
{
	char low[256];
	size_t i;
	for (i = 0; item[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)item[i]);
	low[i] = '\0';
	return match_hostname(low, addr, host, forward, deny) || match_address(addr, low);
}

static bool list_match(const char *list, const char *addr, const char *host, bool forward,
		       bool deny)
{
	char *copy = strdup(list), *save = NULL;
	if (!copy)
		return deny;
	bool hit = false;
	for (char *tok = strtok_r(copy, " ,\t", &save); tok && !hit;
	     tok = strtok_r(NULL, " ,\t", &save))
		hit = ur_daemon_access_item(tok, addr, host, forward, deny);
	free(copy);
	return hit;
}

bool ur_daemon_access_ok(const char *allow, const char *deny, const char *addr, const char *host,
			 bool forward)
{
	if (allow && !*allow)
		allow = NULL;
	if (deny && !*deny)
		deny = NULL;
	if (allow) {
		if (list_match(allow, addr, host, forward, false))
			return true;
		if (!deny)
			return false;
	}
	return !(deny && list_match(deny, addr, host, forward, true));
}
