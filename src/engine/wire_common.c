/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What both wire roles share: set-up, messages from the peer, filter lists. */
#include "engine/wire.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	ur_hlinks_free(&w->hl);
	free(w->uids);
	free(w->gids);
	memset(w, 0, sizeof(*w));
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
	struct ur_wire *w = eng->wire;

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
		return 0;
	case UR_MSG_NO_SEND:
		w->no_send = (int32_t)ur_le32(data);
		return 1;
	case UR_MSG_NOOP:
	case UR_MSG_SUCCESS:
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
		ur_err_set(&c->err, w->remote_exit ? w->remote_exit : UR_EXIT_STREAMIO, 0, "%s", "");
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

int ur_wire_send_filters(struct ur_engine *eng, struct ur_wire *w)
{
	const struct ur_opts *o = eng->o;
	bool receiver_wants = o->prune_empty_dirs || (o->delete_mode && (!o->delete_excluded || w->protocol >= 29));
	if (w->am_sender && !receiver_wants)
		return 0;
	/* Rules travel as (int32 length, text); none are sent yet (the
	 * session refuses filter options over the wire). */
	return ur_conn_write_int(w->c, 0);
}

int ur_wire_recv_filters(struct ur_engine *eng, struct ur_wire *w)
{
	const struct ur_opts *o = eng->o;
	bool receiver_wants = o->prune_empty_dirs || (o->delete_mode && (!o->delete_excluded || w->protocol >= 29));
	if (!w->am_sender && !receiver_wants)
		return 0;
	for (;;) {
		int32_t len;
		int rc = ur_conn_read_int(w->c, &len);
		if (rc < 0)
			return rc;
		if (len == 0)
			return 0;
		if (len < 0 || len >= 4096 + 1024) {
			ur_err_set(&w->c->err, UR_EXIT_PROTOCOL, 0, "overflow: len=%d in recv_rules", len);
			return -EPROTO;
		}
		char rule[4096 + 1024];
		if ((rc = ur_conn_read(w->c, rule, (size_t)len)) < 0)
			return rc;
		rule[len] = '\0';
		/* Rules from the client are not applied yet: refuse rather than
		 * send a tree the client asked to filter. */
		ur_err_set(&w->c->err, UR_EXIT_UNSUPPORTED, 0,
			   "ursync: filter rules over the wire are not supported yet (%s)", rule);
		return -ENOTSUP;
	}
}
