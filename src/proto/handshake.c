/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "proto/handshake.h"

#include <errno.h>
#include <string.h>

struct nstr_name {
	int id;
	const char *name;
};

/* rsync 3.5.0's tables in its own preference order (strongest first). The
 * alias "xxhash" is accepted from a peer but never sent. */
static const struct nstr_name csum_names[] = {
    {UR_CSUM_XXH3_128, "xxh128"}, {UR_CSUM_XXH3_64, "xxh3"}, {UR_CSUM_XXH64, "xxh64"},
    {UR_CSUM_MD5, "md5"},	  {UR_CSUM_MD4, "md4"},	     {UR_CSUM_SHA1, "sha1"},
    {UR_CSUM_NONE, "none"},
};
static const struct nstr_name cpres_names[] = {
    {UR_CPRES_ZSTD, "zstd"}, {UR_CPRES_LZ4, "lz4"},   {UR_CPRES_ZLIBX, "zlibx"},
    {UR_CPRES_ZLIB, "zlib"}, {UR_CPRES_NONE, "none"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void ur_caps_init(struct ur_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->checksum = UR_CSUM_MD5;
	c->compress = UR_CPRES_NONE;
}

int ur_hs_put_version(struct ur_wbuf *w, int version)
{
	return ur_put_int32(w, version);
}

int ur_hs_get_version(struct ur_rbuf *r, int *version, struct ur_err *err)
{
	size_t start = r->pos;
	int32_t v;
	int rc = ur_get_int32(r, &v);

	if (rc < 0)
		return rc;
	if (v < UR_PEER_MIN_PROTOCOL || v > UR_PEER_MAX_PROTOCOL) {
		r->pos = start;
		return ur_err_stream(err, EPROTO,
				     "protocol version mismatch -- is your shell clean? (got %ld)",
				     (long)v);
	}
	*version = v;
	return 0;
}

int ur_hs_agree(struct ur_caps *c, int ours, int theirs, struct ur_err *err)
{
	c->remote_protocol = theirs;
	c->protocol = ours < theirs ? ours : theirs;
	if (c->protocol < UR_MIN_PROTOCOL)
		return ur_err_stream(err, EPROTO, "protocol %d is too old (need %d or later)",
				     c->protocol, UR_MIN_PROTOCOL);
	c->mod_nsec = c->protocol >= 31;
	c->specials_rdev = c->protocol < 31;
	c->safe_flist = c->protocol >= 31;
	return 0;
}

int ur_client_info_build(char *buf, size_t cap, bool allow_inc_recurse, bool symlink_times,
			 bool symlink_iconv)
{
	char tmp[16];
	size_t n = 0;

	tmp[n++] = 'e';
	tmp[n++] = '.'; /* a released protocol: no sub-protocol number */
	if (allow_inc_recurse)
		tmp[n++] = 'i';
	if (symlink_times)
		tmp[n++] = 'L';
	if (symlink_iconv)
		tmp[n++] = 's';
	memcpy(tmp + n, "fxCIvu", 6);
	n += 6;
	if (cap <= n)
		return -ENOBUFS;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return (int)n;
}

uint32_t ur_compat_from_client_info(const char *info, bool allow_inc_recurse, bool symlink_times,
				    bool symlink_iconv, bool *byte_form)
{
	static const struct {
		char letter;
		uint32_t flag;
	} letters[] = {
	    {'f', UR_CF_SAFE_FLIST},	     {'x', UR_CF_AVOID_XATTR_OPTIM},
	    {'C', UR_CF_CHKSUM_SEED_FIX},    {'I', UR_CF_INPLACE_PARTIAL_DIR},
	    {'u', UR_CF_ID0_NAMES},	     {'v', UR_CF_VARINT_FLIST_FLAGS},
	    {'V', UR_CF_VARINT_FLIST_FLAGS},
	};
	uint32_t f = 0;

	if (!info)
		info = "";
	if (allow_inc_recurse)
		f |= UR_CF_INC_RECURSE;
	if (symlink_times)
		f |= UR_CF_SYMLINK_TIMES;
	if (symlink_iconv)
		f |= UR_CF_SYMLINK_ICONV;
	for (size_t i = 0; i < NELEM(letters); i++)
		if (strchr(info, letters[i].letter))
			f |= letters[i].flag;
	/* 'V' was a pre-release spelling of 'v' whose flags went out as a
	 * single byte; rsync still answers it that way. */
	*byte_form = strchr(info, 'V') != NULL;
	return f;
}

int ur_hs_put_compat(struct ur_wbuf *w, uint32_t flags, bool byte_form)
{
	if (byte_form)
		return flags > 0xFF ? -EINVAL : ur_put_u8(w, (uint8_t)flags);
	return ur_put_varint(w, (int32_t)flags);
}

int ur_hs_get_compat(struct ur_rbuf *r, uint32_t *flags, struct ur_err *err)
{
	int32_t v;
	int rc = ur_get_varint(r, &v, err);

	if (rc < 0)
		return rc;
	/* Unknown bits are a newer peer's business; we only act on ours. */
	*flags = (uint32_t)v;
	return 0;
}

void ur_caps_apply_compat(struct ur_caps *c, uint32_t flags, bool am_sender, bool am_server,
			  const char *client_info)
{
	c->compat_flags = flags;
	c->inc_recurse = flags & UR_CF_INC_RECURSE;
	c->symlink_iconv = flags & UR_CF_SYMLINK_ICONV;
	c->xattr_optim = c->protocol >= 31 && !(flags & UR_CF_AVOID_XATTR_OPTIM);
	c->seed_fix = flags & UR_CF_CHKSUM_SEED_FIX;
	c->varint_flist = flags & UR_CF_VARINT_FLIST_FLAGS;
	c->negotiate_strings = c->varint_flist;
	c->id0_names = flags & UR_CF_ID0_NAMES;
	c->inplace_partial = flags & UR_CF_INPLACE_PARTIAL_DIR;
	c->safe_flist = (flags & UR_CF_SAFE_FLIST) || c->protocol >= 31;
	if (am_sender)
		c->symlink_times = am_server ? client_info && strchr(client_info, 'L')
					     : (flags & UR_CF_SYMLINK_TIMES) != 0;
	else
		c->symlink_times = true;
	/* Without negotiation rsync falls back to md5 (protocol 30+) and zlib. */
	if (!c->negotiate_strings) {
		c->checksum = UR_CSUM_MD5;
		c->compress = UR_CPRES_ZLIB;
	}
}

static const struct nstr_name *names_of(enum ur_nstr_kind kind, size_t *n)
{
	if (kind == UR_NSTR_CHECKSUM) {
		*n = NELEM(csum_names);
		return csum_names;
	}
	*n = NELEM(cpres_names);
	return cpres_names;
}

static const char *name_of(enum ur_nstr_kind kind, int id)
{
	size_t n;
	const struct nstr_name *t = names_of(kind, &n);

	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return t[i].name;
	return NULL;
}

const char *ur_csum_name(enum ur_csum c)
{
	return name_of(UR_NSTR_CHECKSUM, (int)c);
}

const char *ur_cpres_name(enum ur_cpres c)
{
	return name_of(UR_NSTR_COMPRESS, (int)c);
}

int ur_nstr_lookup(enum ur_nstr_kind kind, const char *name, size_t len)
{
	size_t n;
	const struct nstr_name *t = names_of(kind, &n);

	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len && memcmp(t[i].name, name, len) == 0)
			return t[i].id;
	if (kind == UR_NSTR_CHECKSUM && len == 6 && memcmp(name, "xxhash", 6) == 0)
		return UR_CSUM_XXH64;
	return -1;
}

int ur_csum_len(enum ur_csum c)
{
	switch (c) {
	case UR_CSUM_NONE:
		return 1;
	case UR_CSUM_MD4:
	case UR_CSUM_MD5:
	case UR_CSUM_XXH3_128:
		return 16;
	case UR_CSUM_SHA1:
		return 20;
	case UR_CSUM_XXH64:
	case UR_CSUM_XXH3_64:
		return 8;
	default:
		return -EINVAL;
	}
}

int ur_nstr_parse(enum ur_nstr_kind kind, const char *list, bool am_server, char *buf, size_t cap)
{
	bool seen[64] = {false}, named = false;
	size_t len = 0;
	const char *amp = strchr(list, '&');

	if (cap == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	if (am_server && amp)
		list = amp + 1;
	for (const char *p = list; *p && *p != '&';) {
		size_t n = 0;
		while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
			p++;
		while (p[n] && p[n] != '&' && p[n] != ' ' && !(p[n] >= '\t' && p[n] <= '\r'))
			n++;
		if (!n)
			break;
		named = true;
		int id = ur_nstr_lookup(kind, p, n);
		p += n;
		if (id < 0 || id >= 64 || seen[id])
			continue;
		seen[id] = true;
		const char *name = name_of(kind, id);
		size_t nl = strlen(name);
		if (len + 1 + nl >= cap || len + 1 + nl > UR_NSTR_MAX)
			break; /* rsync stops where its buffer ends */
		if (len)
			buf[len++] = ' ';
		memcpy(buf + len, name, nl + 1);
		len += nl;
	}
	if (named && !len) {
		if (cap < 8)
			return -ENOBUFS;
		memcpy(buf, "INVALID", 8);
		len = 7;
	}
	return (int)len;
}

int ur_nstr_build(enum ur_nstr_kind kind, const int *prefs, size_t n, bool am_server, char *buf,
		  size_t cap)
{
	size_t tn, len = 0;
	const struct nstr_name *t = names_of(kind, &tn);

	if (cap == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	for (size_t i = 0; i < (prefs ? n : tn); i++) {
		int id = prefs ? prefs[i] : t[i].id;
		const char *name = name_of(kind, id);
		size_t nl;

		if (!name)
			return -EINVAL;
		/* "none" (id 0 in both tables) is only offered by a server. */
		if (id == 0 && !am_server)
			continue;
		nl = strlen(name);
		if (len + (len ? 1 : 0) + nl >= cap || len + (len ? 1 : 0) + nl > UR_NSTR_MAX)
			return -ENOBUFS;
		if (len)
			buf[len++] = ' ';
		memcpy(buf + len, name, nl);
		len += nl;
		buf[len] = '\0';
	}
	return (int)len;
}

/* Rank of id in a space-separated list (1 = first), or 0 if absent. */
static int rank_in(enum ur_nstr_kind kind, const char *list, size_t len, int id)
{
	int rank = 0;
	size_t i = 0;

	while (i < len) {
		size_t j;

		while (i < len && list[i] == ' ')
			i++;
		for (j = i; j < len && list[j] != ' '; j++)
			;
		if (j > i) {
			rank++;
			if (ur_nstr_lookup(kind, list + i, j - i) == id)
				return rank;
		}
		i = j;
	}
	return 0;
}

int ur_nstr_choose(enum ur_nstr_kind kind, const char *ours, const char *peer, size_t peer_len,
		   struct ur_err *err)
{
	int best = -1, best_rank = 0;
	size_t i = 0;

	while (i < peer_len) {
		size_t j;

		while (i < peer_len && peer[i] == ' ')
			i++;
		for (j = i; j < peer_len && peer[j] != ' '; j++)
			;
		if (j > i) {
			int id = ur_nstr_lookup(kind, peer + i, j - i);
			int rank = id < 0 ? 0 : rank_in(kind, ours, strlen(ours), id);

			if (rank && (best < 0 || rank < best_rank)) {
				best = id;
				best_rank = rank;
			}
		}
		i = j;
	}
	if (best < 0)
		return ur_err_stream(err, EPROTO, "Failed to negotiate a %s choice.",
				     kind == UR_NSTR_CHECKSUM ? "checksum" : "compress");
	return best;
}

int ur_hs_put_nstr(struct ur_wbuf *w, const char *list, size_t len)
{
	if (len > UR_NSTR_MAX)
		return -EINVAL;
	return ur_put_vstring(w, list, len);
}

int ur_hs_get_nstr(struct ur_rbuf *r, char buf[UR_NSTR_MAX + 1], size_t *len, struct ur_err *err)
{
	return ur_get_vstring(r, buf, UR_NSTR_MAX + 1, len, err);
}

int ur_hs_put_seed(struct ur_wbuf *w, int32_t seed)
{
	return ur_put_int32(w, seed);
}

int ur_hs_get_seed(struct ur_rbuf *r, int32_t *seed)
{
	return ur_get_int32(r, seed);
}
