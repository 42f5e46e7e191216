/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What both wire roles share: set-up, messages from the peer, filter lists. */
#include "wire/wire.h"
#include "filter/filter.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ur_wire_attach(struct ur_engine *eng, struct ur_wire *w)
{
	eng->chan_state = w;
	eng->xfer_sum = ur_sum_kind_of(w->caps.checksum);
}

int ur_wire_init(struct ur_wire *w, struct ur_conn *c, const struct ur_caps *caps,
		 const struct ur_opts *o, bool am_server, bool am_sender)
{
	memset(w, 0, sizeof(*w));
	w->c = c;
	w->caps = *caps;
	w->am_server = am_server;
	w->am_sender = am_sender;
	w->protocol = caps->protocol;
	w->no_send = -1;
	w->remote_exit = -1;
	w->next_ndx = caps->inc_recurse ? 1 : 0;

	struct ur_flist_cfg cfg;
	ur_flist_cfg_init(&cfg, caps);
	cfg.csum_len = (unsigned)ur_csum_len(caps->file_checksum);
	cfg.preserve_uid = o->owner;
	cfg.preserve_gid = o->group;
	cfg.preserve_devices = o->devices;
	cfg.preserve_specials = o->specials;
	cfg.preserve_links = o->links;
	cfg.preserve_hard_links = o->hard_links;
	cfg.preserve_atimes = o->atimes;
	cfg.preserve_crtimes = o->crtimes;
	cfg.always_checksum = o->checksum;
	cfg.allow_mode0 = o->delete_missing_args;
	int rc = ur_fentry_state_init(&w->fs, &cfg, NULL, NULL);
	if (rc < 0)
		return rc;
	return 0;
}

void ur_wire_free(struct ur_wire *w)
{
	for (size_t i = 0; i < w->nsegs; i++) {
		ur_flist_release(&w->segs[i]->fl);
		ur_flist_release(&w->segs[i]->pfl);
		free(w->segs[i]);
	}
	free(w->segs);
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i].name);
	free(w->dirs);
	free(w->redo);
	free(w->success);
	ur_wire_pend_release(w);
	free(w->pend);
	ur_hlinks_free(&w->hl);
	ur_cz_enc_free(w->cz_enc);
	ur_cz_dec_free(w->cz_dec);
	free(w->uids);
	free(w->gids);
	memset(w, 0, sizeof(*w));
}

int ur_wire_s2_max(const struct ur_wire *w)
{
	/* rsync's xfer_sum_len: the negotiated digest's length. */
	return ur_csum_len(w->caps.checksum);
}

int ur_wire_cz(const struct ur_wire *w)
{
	return ur_cz_of(w->caps.compress);
}

int ur_cz_of(enum ur_cpres c)
{
	switch (c) {
	case UR_CPRES_ZLIB:
		return UR_CZ_ZLIB;
	case UR_CPRES_ZLIBX:
		return UR_CZ_ZLIBX;
	case UR_CPRES_LZ4:
		return UR_CZ_LZ4;
	case UR_CPRES_ZSTD:
		return UR_CZ_ZSTD;
	default:
		return -1;
	}
}

struct ur_wdir *ur_wire_add_dir(struct ur_wire *w)
{
	if (w->ndirs == w->capdirs) {
		size_t nc = w->capdirs ? w->capdirs * 2 : 64;
		struct ur_wdir *nd = realloc(w->dirs, nc * sizeof(*nd));
		if (!nd)
			return NULL;
		w->dirs = nd;
		w->capdirs = nc;
	}
	struct ur_wdir *d = &w->dirs[w->ndirs++];
	memset(d, 0, sizeof(*d));
	return d;
}

int ur_wire_push_seg(struct ur_wire *w, struct ur_wseg *seg)
{
	if (w->nsegs == w->capsegs) {
		size_t nc = w->capsegs ? w->capsegs * 2 : 16;
		struct ur_wseg **ns = realloc(w->segs, nc * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		w->segs = ns;
		w->capsegs = nc;
	}
	w->segs[w->nsegs++] = seg;
	return 0;
}

/* Print a text message from the peer where rsync prints it, control
 * characters escaped as rsync escapes them. */
static void show(int tag, const uint8_t *data, size_t len)
{
	FILE *f = tag == UR_MSG_INFO ? stdout : stderr;
	if (f == stderr)
		ur_log_flush();
	ur_report_write(f, (const char *)data, len, true);
	if (f == stderr)
		fflush(stderr);
}

int ur_wire_on_msg(struct ur_conn *c, int tag, const uint8_t *data, size_t len)
{
	struct ur_engine *eng = c->ctx;
	struct ur_wire *w = ur_wire_of(eng);

	switch (tag) {
	case UR_MSG_INFO:
	case UR_MSG_ERROR:
	case UR_MSG_WARNING:
	case UR_MSG_ERROR_XFER:
		if (w->am_server) {
			/* A client has nothing to tell a server but this; pass
			 * it on to our own stderr. */
			show(UR_MSG_ERROR, data, len);
		} else {
			show(tag, data, len);
		}
		if (tag == UR_MSG_ERROR_XFER)
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
		return 0;
	case UR_MSG_IO_ERROR:
		w->io_error |= (int32_t)ur_le32(data) & 7;
		if ((w->io_error & 1) && !eng->o->ignore_errors)
			eng->io_error = true; /* no deletions after this, as rsync */
		return 0;
	case UR_MSG_NO_SEND:
		w->no_send = (int32_t)ur_le32(data);
		return 1;
	case UR_MSG_NOOP:
		return 0;
	case UR_MSG_SUCCESS:
		/* --remove-source-files: the sender removes it (wire_send.c). */
		if (w->am_sender && eng->o->remove_source_files) {
			if (w->nsuccess == w->capsuccess) {
				size_t nc = w->capsuccess ? w->capsuccess * 2 : 64;
				int32_t *n = realloc(w->success, nc * sizeof(*n));
				if (!n)
					return -ENOMEM;
				w->success = n;
				w->capsuccess = nc;
			}
			w->success[w->nsuccess++] = (int32_t)ur_le32(data);
		}
		return 0;
	case UR_MSG_DELETED: {
		/* The far generator removed something: a client sender shows it. */
		char name[UR_MUX_MAX_TEXT + 3];
		size_t n = len;
		bool dir = n && data[n - 1] == '\0';
		if (dir)
			n--;
		if (n > UR_MUX_MAX_TEXT)
			n = UR_MUX_MAX_TEXT;
		memcpy(name, data, n);
		if (dir)
			name[n++] = '/';
		name[n] = '\0';
		struct ur_item it = {
		    .name = name,
		    .mode = dir ? S_IFDIR : S_IFREG,
		    .iflags = UR_ITEM_DELETED,
		    .local_name = name,
		    .side = UR_SIDE_SENDER,
		};
		if (!w->am_server)
			ur_report_item(eng->o, eng->out, &it);
		return 0;
	}
	case UR_MSG_ERROR_EXIT:
		w->remote_exit = len == 4 ? (int)ur_le32(data) : 0;
		ur_err_set(&c->err, w->remote_exit ? w->remote_exit : UR_EXIT_STREAMIO, 0, "%s",
			   "");
		return -ECONNABORTED;
	case UR_MSG_STATS:
	case UR_MSG_REDO:
	default: {
		const char *name = ur_msg_name(tag);
		char m[128];
		snprintf(m, sizeof(m), "unexpected tag %d [%s]", tag, c->role);
		(void)name;
		ur_err_set(&c->err, UR_EXIT_STREAMIO, 0, "%s", m);
		return -EPROTO;
	}
	}
}

/* The side modifiers of a rule's wire text ("-s pat", "+r pat"). */
static void rule_sides(const char *text, bool *sender, bool *receiver, bool *special)
{
	*sender = *receiver = *special = false;
	*special = text[0] == ':' || text[0] == '.';
	for (const char *p = text + 1; *p && *p != ' '; p++) {
		if (*p == 's')
			*sender = true;
		else if (*p == 'r')
			*receiver = true;
		else if (*p == 'C')
			*special = true;
	}
}

static bool receiver_wants_list(const struct ur_opts *o, int protocol)
{
	return o->prune_empty_dirs || (o->delete_mode && (!o->delete_excluded || protocol >= 29));
}

int ur_wire_send_filters(struct ur_engine *eng, struct ur_wire *w)
{
	const struct ur_opts *o = eng->o;
	if (w->am_sender && !receiver_wants_list(o, w->protocol))
		return 0;
	/* Each rule as (int32 length, text); a pushing client keeps its
	 * sender-side rules and a pulling one its receiver-side rules. */
	size_t n = eng->filters ? ur_filter_count(eng->filters) : 0;
	for (size_t i = 0; i < n; i++) {
		char text[4096 + 64];
		int len = ur_filter_rule_text(eng->filters, i, text, sizeof(text));
		if (len < 0 || (size_t)len >= sizeof(text))
			continue;
		bool snd, rcv, special;
		rule_sides(text, &snd, &rcv, &special);
		if ((snd && w->am_sender) || (rcv && !w->am_sender))
			continue;
		int rc = ur_conn_write_int(w->c, len);
		if (rc == 0)
			rc = ur_conn_write(w->c, text, (size_t)len);
		if (rc < 0)
			return rc;
	}
	return ur_conn_write_int(w->c, 0);
}

int ur_wire_recv_filters(struct ur_engine *eng, struct ur_wire *w)
{
	const struct ur_opts *o = eng->o;
	if (!w->am_sender && !receiver_wants_list(o, w->protocol))
		return 0;
	for (;;) {
		int32_t len;
		int rc = ur_conn_read_int(w->c, &len);
		if (rc < 0)
			return rc;
		if (len == 0)
			return 0;
		if (len < 0 || len >= 4096 + 1024) {
			ur_err_set(&w->c->err, UR_EXIT_PROTOCOL, 0,
				   "overflow: len=%d in recv_rules", len);
			return -EPROTO;
		}
		char rule[4096 + 1024];
		if ((rc = ur_conn_read(w->c, rule, (size_t)len)) < 0)
			return rc;
		rule[len] = '\0';
		bool snd, rcv, special;
		rule_sides(rule, &snd, &rcv, &special);
		if (special) {
			/* Per-directory merge files and -C over the wire: not yet. */
			ur_err_set(&w->c->err, UR_EXIT_UNSUPPORTED, 0,
				   "filter rule \"%s\" is not supported over the wire yet", rule);
			return -ENOTSUP;
		}
		if (!eng->filters) {
			struct ur_filter_config cfg = {.from0 = o->from0,
						       .delete_excluded = o->delete_excluded};
			if (!(eng->filters = ur_filter_list_new(&cfg)))
				return -ENOMEM;
		}
		struct ur_err err = {0};
		if (ur_filter_add(eng->filters, rule, 0, &err) < 0) {
			ur_err_set(&w->c->err, err.code ? err.code : UR_EXIT_SYNTAX, 0, "%s",
				   err.msg);
			return -EINVAL;
		}
	}
}
