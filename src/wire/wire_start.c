/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The start of a protocol session on a connection, either end: protocol
 * versions, compat flags, the checksum and compression choice and the
 * checksum seed (docs/protocol.md "Connection start"). A remote shell
 * exchanges the versions in binary here; the daemon exchanges them as
 * text in its greeting and calls ur_wire_negotiate with the outcome.
 */
#include "wire/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"

/* Nothing in common: exit 4; the client shows both lists, the peer's
 * first (rsync's server says no more than its exit line). */
static int no_choice(const char *what, bool am_server, const char *mine, const char *peer,
		     struct ur_conn *c)
{
	if (!am_server) {
		ur_errmsg("Failed to negotiate a %s choice.", what);
		ur_errmsg("Server list: %s", peer);
		ur_errmsg("Client list: %s", *mine ? mine : "INVALID");
	}
	c->err.msg[0] = '\0';
	c->err.code = UR_EXIT_UNSUPPORTED;
	return -EPROTO;
}

static int put_hs(struct ur_conn *c, int (*put)(struct ur_wbuf *, int), int v)
{
	struct ur_wbuf b;
	int rc = ur_conn_reserve(c, 16, &b);
	if (rc == 0 && (rc = put(&b, v)) == 0)
		ur_conn_commit(c, &b);
	return rc;
}

static int put_version(struct ur_wbuf *b, int v)
{
	return ur_hs_put_version(b, v);
}

static int put_seed(struct ur_wbuf *b, int v)
{
	return ur_hs_put_seed(b, v);
}

int ur_wire_handshake(struct ur_conn *c, const struct ur_opts *o, bool am_server, bool am_sender,
		      struct ur_caps *caps)
{
	int ours = o->protocol ? o->protocol : UR_PROTOCOL_VERSION;
	int rc;

	ur_caps_init(caps);
	if ((rc = put_hs(c, put_version, ours)) < 0 || (rc = ur_conn_flush(c)) < 0)
		return rc;
	int32_t theirs;
	if ((rc = ur_conn_read_int(c, &theirs)) < 0)
		return rc;
	if (theirs < UR_PEER_MIN_PROTOCOL || theirs > UR_PEER_MAX_PROTOCOL) {
		ur_err_set(&c->err, UR_EXIT_PROTOCOL, 0,
			   "protocol version mismatch -- is your shell clean?\n"
			   "(see the rsync manpage for an explanation)");
		return -EPROTO;
	}
	return ur_wire_negotiate(c, o, am_server, am_sender, ours, theirs, caps);
}

int ur_wire_negotiate(struct ur_conn *c, const struct ur_opts *o, bool am_server, bool am_sender,
		      int ours, int theirs, struct ur_caps *caps)
{
	int rc;

	if ((rc = ur_hs_agree(caps, ours, theirs, &c->err)) < 0) {
		c->err.code = UR_EXIT_PROTOCOL;
		return rc;
	}

	uint32_t flags;
	const char *info = NULL;
	bool allow_inc = o->inc_recursive != 0 && o->recursive && !o->use_qsort;
	if (!am_sender && (o->delete_mode == UR_DEL_BEFORE || o->delete_mode == UR_DEL_AFTER ||
			   o->delay_updates || o->prune_empty_dirs))
		allow_inc = false;
	if (am_server) {
		info = o->client_info ? o->client_info : "";
		if (!strchr(info, 'i'))
			allow_inc = false;
		bool byte_form = false;
		flags = ur_compat_from_client_info(info, allow_inc, true, false, &byte_form);
		struct ur_wbuf b;
		if ((rc = ur_conn_reserve(c, 8, &b)) < 0 ||
		    (rc = ur_hs_put_compat(&b, flags, byte_form)) < 0)
			return rc;
		ur_conn_commit(c, &b);
	} else {
		UR_CONN_DECODE(c, rc, r, ur_hs_get_compat(r, &flags, &c->err));
		if (rc < 0) {
			if (!c->err.code)
				c->err.code = UR_EXIT_PROTOCOL;
			return rc;
		}
		if ((flags & UR_CF_INC_RECURSE) && !allow_inc) {
			ur_err_set(&c->err, UR_EXIT_PROTOCOL, 0,
				   "incremental recursion was not allowed");
			return -EPROTO;
		}
	}
	ur_caps_apply_compat(caps, flags, am_sender, am_server, info);

	if (caps->negotiate_strings) {
		char mine[UR_NSTR_MAX + 1], peer[UR_NSTR_MAX + 1];
		size_t plen;
		/* rsync's order, less what this build cannot compute (the xxh
		 * family without libxxhash, sha1 without libcrypto). */
		int prefs[UR_CSUM_COUNT];
		size_t np = 0;
		static const enum ur_csum order[] = {UR_CSUM_XXH3_128, UR_CSUM_XXH3_64,
						     UR_CSUM_XXH64,    UR_CSUM_MD5,
						     UR_CSUM_MD4,      UR_CSUM_SHA1,
						     UR_CSUM_NONE};
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
			if (order[i] == UR_CSUM_NONE || ur_sum_supported(ur_sum_kind_of(order[i])))
				prefs[np++] = (int)order[i];
		/* The user's order from the environment, or rsync's. */
		const char *env = getenv("RSYNC_CHECKSUM_LIST");
		int n =
		    env ? ur_nstr_parse(UR_NSTR_CHECKSUM, env, am_server, mine, sizeof(mine)) : 0;
		if (n == 0)
			n = ur_nstr_build(UR_NSTR_CHECKSUM, prefs, np, am_server, mine,
					  sizeof(mine));
		if (n < 0)
			return n;
		/* With -z and no --compress-choice the compressors are chosen
		 * the same way; each side writes both lists, then reads. */
		bool zlist = o->compress && !o->compress_choice;
		char zmine[UR_NSTR_MAX + 1], zpeer[UR_NSTR_MAX + 1];
		size_t zplen = 0;
		const char *zenv = getenv("RSYNC_COMPRESS_LIST");
		int zn = zlist && zenv ? ur_nstr_parse(UR_NSTR_COMPRESS, zenv, am_server, zmine,
						       sizeof(zmine))
				       : 0;
		if (zlist && zn == 0)
			zn = ur_nstr_build(UR_NSTR_COMPRESS, NULL, 0, am_server, zmine,
					   sizeof(zmine));
		if (zn < 0)
			return zn;
		/* --checksum-choice: neither side sends its checksum list (the
		 * server was given the same option). */
		bool clist = !o->checksum_choice;
		struct ur_wbuf b;
		if ((rc = ur_conn_reserve(c, 2 * UR_NSTR_MAX + 16, &b)) < 0 ||
		    (clist && (rc = ur_hs_put_nstr(&b, mine, (size_t)n)) < 0) ||
		    (zlist && (rc = ur_hs_put_nstr(&b, zmine, (size_t)zn)) < 0))
			return rc;
		ur_conn_commit(c, &b);
		if ((rc = ur_conn_flush(c)) < 0)
			return rc;
		rc = 0;
		if (clist)
			UR_CONN_DECODE(c, rc, r, ur_hs_get_nstr(r, peer, &plen, &c->err));
		if (rc >= 0 && zlist)
			UR_CONN_DECODE(c, rc, r, ur_hs_get_nstr(r, zpeer, &zplen, &c->err));
		if (rc < 0) {
			if (!c->err.code)
				c->err.code = UR_EXIT_PROTOCOL;
			return rc;
		}
		if (clist) {
			int choice = ur_nstr_choose(UR_NSTR_CHECKSUM, mine, peer, plen, &c->err);
			if (choice < 0)
				return no_choice("checksum", am_server, mine, peer, c);
			caps->checksum = (enum ur_csum)choice;
		}
		if (zlist) {
			int z = ur_nstr_choose(UR_NSTR_COMPRESS, zmine, zpeer, zplen, &c->err);
			if (z < 0)
				return no_choice("compress", am_server, zmine, zpeer, c);
			caps->compress = (enum ur_cpres)z;
		}
	} else {
		caps->checksum = UR_CSUM_MD5;
	}
	caps->file_checksum = caps->checksum;
	if (o->checksum_choice) {
		/* "XFER[,FILE]": the transfer's sums, and -c's if given. */
		const char *cc = o->checksum_choice, *comma = strchr(cc, ',');
		int x =
		    ur_nstr_lookup(UR_NSTR_CHECKSUM, cc, comma ? (size_t)(comma - cc) : strlen(cc));
		int f = comma ? ur_nstr_lookup(UR_NSTR_CHECKSUM, comma + 1, strlen(comma + 1)) : x;
		if (x < 0 || f < 0 || !ur_sum_supported(ur_sum_kind_of((enum ur_csum)x)) ||
		    !ur_sum_supported(ur_sum_kind_of((enum ur_csum)f))) {
			ur_err_set(&c->err, UR_EXIT_UNSUPPORTED, 0, "checksum %s is not supported",
				   cc);
			return -ENOTSUP;
		}
		caps->checksum = (enum ur_csum)x;
		caps->file_checksum = (enum ur_csum)f;
	}
	if (o->checksum && caps->file_checksum == UR_CSUM_NONE) {
		ur_err_set(&c->err, UR_EXIT_UNSUPPORTED, 0,
			   "Invalid checksum-choice for --checksum: none (0)");
		return -ENOTSUP;
	}
	if (o->compress && o->compress_choice) {
		int z = ur_nstr_lookup(UR_NSTR_COMPRESS, o->compress_choice,
				       strlen(o->compress_choice));
		caps->compress = z > 0 ? (enum ur_cpres)z : UR_CPRES_NONE;
	} else if (o->compress && !caps->negotiate_strings) {
		caps->compress = UR_CPRES_ZLIB; /* what -z means without negotiation */
	} else if (!o->compress) {
		caps->compress = UR_CPRES_NONE;
	}
	/* rsync applies the level after the choice, on both ends: zlib's 0
	 * (--compress-level=0, passed to the server) turns compression off. */
	if ((caps->compress == UR_CPRES_ZLIB || caps->compress == UR_CPRES_ZLIBX) &&
	    o->compress_level != -1) {
		int lvl;
		enum ur_cz alg = caps->compress == UR_CPRES_ZLIB ? UR_CZ_ZLIB : UR_CZ_ZLIBX;
		if (ur_cz_level(alg, true, o->compress_level, &lvl) == 1)
			caps->compress = UR_CPRES_NONE;
	}

	/* --debug=nstr: what was chosen (a server says so only at level 3) */
	if (UR_DEBUG_GTE(o, NSTR, am_server ? 3 : 1)) {
		const char *who = am_server ? "Server" : "Client";
		bool neg = caps->negotiate_strings;
		ur_info("%s%s checksum: %s\n", who, neg && !o->checksum_choice ? " negotiated" : "",
			ur_csum_name(caps->checksum));
		int alg = ur_cz_of(caps->compress), lvl = 0;
		if (alg >= 0 && ur_cz_level((enum ur_cz)alg, o->compress_level != -1,
					    o->compress_level, &lvl) == 0)
			ur_info("%s%s compress: %s (level %d)\n", who,
				neg && !o->compress_choice ? " negotiated" : "",
				ur_cpres_name(caps->compress), lvl);
	}

	if (am_server) {
		int32_t seed = o->checksum_seed ? o->checksum_seed
						: (int32_t)(time(NULL) ^ ((unsigned)getpid() << 6));
		caps->checksum_seed = seed;
		if ((rc = put_hs(c, put_seed, seed)) < 0)
			return rc;
	} else {
		int32_t seed;
		if ((rc = ur_conn_read_int(c, &seed)) < 0)
			return rc;
		caps->checksum_seed = seed;
	}
	return ur_conn_flush(c);
}
