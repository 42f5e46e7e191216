/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_PROTO_FENTRY_H
#define UR_PROTO_FENTRY_H

/*
 * File-list entries as rsync 3.5.0 sends them at protocol 30 and later,
 * and the uid/gid name lists that follow a non-incremental list. Each
 * entry is compressed against the one before it (name prefix, mode, times,
 * owner, device major), so encoder and decoder each keep a
 * struct ur_fentry_state for the whole connection: it carries across the
 * sub-lists of incremental recursion.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/handshake.h"
#include "proto/varint.h"

/* rsync's MAXPATHLEN: a name (after prefix expansion) or a symlink target
 * must be shorter than this. */
#define UR_FNAME_MAX	  4096
#define UR_OWNER_NAME_MAX 255
#define UR_FSUM_MAX	  32

/* Transmit flags (the first bits also travel as a byte at protocol < 31
 * without CF_VARINT_FLIST_FLAGS). Several bits mean different things for
 * directories and other types. */
#define UR_XMIT_TOP_DIR		   (1u << 0)
#define UR_XMIT_SAME_MODE	   (1u << 1)
#define UR_XMIT_EXTENDED_FLAGS	   (1u << 2)
#define UR_XMIT_SAME_UID	   (1u << 3)
#define UR_XMIT_SAME_GID	   (1u << 4)
#define UR_XMIT_SAME_NAME	   (1u << 5)
#define UR_XMIT_LONG_NAME	   (1u << 6)
#define UR_XMIT_SAME_TIME	   (1u << 7)
#define UR_XMIT_SAME_RDEV_MAJOR	   (1u << 8) /* devices */
#define UR_XMIT_NO_CONTENT_DIR	   (1u << 8) /* directories */
#define UR_XMIT_HLINKED		   (1u << 9)
#define UR_XMIT_USER_NAME_FOLLOWS  (1u << 10)
#define UR_XMIT_GROUP_NAME_FOLLOWS (1u << 11)
#define UR_XMIT_HLINK_FIRST	   (1u << 12) /* hard-linked entries */
#define UR_XMIT_IO_ERROR_ENDLIST   (1u << 12) /* with EXTENDED_FLAGS alone: end + error */
#define UR_XMIT_MOD_NSEC	   (1u << 13)
#define UR_XMIT_SAME_ATIME	   (1u << 14)
#define UR_XMIT_CRTIME_EQ_MTIME	   (1u << 17)

/* What both ends agreed on that shapes an entry. Fill from the caps with
 * ur_flist_cfg_init, then set the preserve_* options of the transfer. */
struct ur_flist_cfg {
	bool varint_flags;			  /* caps.varint_flist */
	bool mod_nsec;				  /* caps.mod_nsec (31+) */
	bool specials_rdev;			  /* caps.specials_rdev (30) */
	bool safe_flist;			  /* caps.safe_flist: an error may end a list */
	bool inc_recurse;			  /* caps.inc_recurse: owner names travel inline */
	bool id0_names;				  /* caps.id0_names */
	bool preserve_uid, preserve_gid;	  /* -o, -g */
	bool preserve_devices, preserve_specials; /* --devices, --specials */
	bool preserve_links;			  /* -l */
	bool preserve_hard_links;		  /* -H (affects the id lists only) */
	bool preserve_atimes, preserve_crtimes;	  /* -U, -N */
	bool always_checksum;			  /* -c: a file sum per regular file */
	bool allow_mode0;			  /* --delete-missing-args sends mode 0 */
	unsigned csum_len;			  /* file sum length when -c */
};

void ur_flist_cfg_init(struct ur_flist_cfg *cfg, const struct ur_caps *caps);

/* One entry. Encoding borrows every pointer from the caller for the call.
 * Decoding points name/user_name/group_name/link/sum into the state,
 * valid until the next decode call. */
struct ur_wentry {
	const char *name; /* the path in the list, without a leading '/' */
	size_t name_len;
	uint32_t xflags; /* decode: the flags as received */
	uint32_t mode;	 /* S_IFMT bits as Linux's, nothing above 0177777 */
	int64_t size;
	int64_t mtime;
	uint32_t mtime_nsec;
	int64_t atime;	/* with preserve_atimes, non-directories */
	int64_t crtime; /* with preserve_crtimes */
	uint32_t uid, gid;
	/* encode: a name to send inline (only with inc_recurse, and only when
	 * the id differs from the previous entry's; NULL for none). decode:
	 * the name received inline, or NULL. At most 255 bytes. */
	const char *user_name, *group_name;
	uint32_t rdev_major, rdev_minor; /* devices only; 0 for the rest */
	const char *link;		 /* symlink target, with preserve_links */
	size_t link_len;
	const uint8_t *sum;  /* csum_len bytes, with always_checksum */
	bool top_dir;	     /* directories: XMIT_TOP_DIR */
	bool no_content_dir; /* directories: XMIT_NO_CONTENT_DIR */
	bool hlinked;	     /* a member of a hard-link group */
	/* Hard links: -1 for the first member of its group, else the index of
	 * the first member. When that index is in the current list (at or
	 * after ndx_start) the entry is abbreviated: only its name travels and
	 * its attributes are the first member's. */
	int32_t hlink_ndx;
	bool hlink_abbrev; /* decode: the attributes came from the first member */
	int32_t ndx;	   /* decode: the index this entry got */
};

/* For abbreviated hard links the decoder asks for the first member's
 * attributes: fill *first from list index ndx and return 0, or negative. */
typedef int (*ur_fentry_lookup_fn)(void *ctx, int32_t ndx, struct ur_wentry *first);

struct ur_fentry_state {
	struct ur_flist_cfg cfg;
	/* the previous entry's values, which flags say to repeat */
	uint32_t mode, uid, gid, rdev_major;
	int64_t mtime, atime;
	int32_t ndx_start; /* index of the current list's first entry */
	int32_t used;	   /* entries of the current list so far */
	ur_fentry_lookup_fn lookup;
	void *lookup_ctx;
	unsigned cur; /* which of names[] holds the previous name */
	size_t name_len[2];
	char names[2][UR_FNAME_MAX];
	char user[UR_OWNER_NAME_MAX + 1], group[UR_OWNER_NAME_MAX + 1];
	char link[UR_FNAME_MAX];
	uint8_t sum[UR_FSUM_MAX];
};

/* Start a connection's state (zeroes everything); lookup may be NULL if
 * the peer never abbreviates (then such an entry is -EPROTO). Returns
 * -EINVAL if cfg->csum_len is too big, or for preserve_crtimes without
 * varint flags (rsync refuses that combination too). */
int ur_fentry_state_init(struct ur_fentry_state *s, const struct ur_flist_cfg *cfg,
			 ur_fentry_lookup_fn lookup, void *lookup_ctx);

/* Begin a (sub-)list whose first entry gets index ndx_start. */
void ur_fentry_state_start_list(struct ur_fentry_state *s, int32_t ndx_start);

/* Append one entry: 0, -ENOBUFS (nothing written, state unchanged), or
 * -EINVAL for an entry that cannot be sent (name too long, ...). */
int ur_fentry_encode(struct ur_fentry_state *s, const struct ur_wentry *e, struct ur_wbuf *w);

/* Append the end of a list, carrying io_error when the peer can take it
 * (an error with neither varint flags nor safe_flist is -EINVAL). */
int ur_fentry_encode_end(struct ur_fentry_state *s, int32_t io_error, struct ur_wbuf *w);

/* Read one entry or the end of the list. Returns 0 with *e filled, 1 at
 * the end of the list with *io_error set (0 if none was sent), -ENODATA
 * (nothing consumed, state unchanged), or -EBADMSG/-EPROTO. */
int ur_fentry_decode(struct ur_fentry_state *s, struct ur_rbuf *r, struct ur_wentry *e,
		     int32_t *io_error, struct ur_err *err);

/* The check rsync's receiver makes on every name from the sender: no ".."
 * component anywhere, and no leading '/' unless relative_paths (-R).
 * Returns 0 or -EPROTO ("unsafe pathname from sender"). */
int ur_fentry_name_check(const char *name, size_t len, bool relative_paths, struct ur_err *err);

/*
 * The uid and gid lists sent after a whole (non-incremental) file list
 * when owners are preserved by name: (varint id, byte length, name)
 * repeated, ending with id 0, which with CF_ID0_NAMES carries root's
 * name too.
 */
int ur_idlist_encode_one(struct ur_wbuf *w, uint32_t id, const char *name);
/* name0: the name of id 0, used only when id0_names. */
int ur_idlist_encode_end(struct ur_wbuf *w, bool id0_names, const char *name0);
/* Returns 0 for an entry, 1 for the end (id 0; *name holds root's name when
 * id0_names, else ""), -ENODATA, or -EBADMSG. name must hold 256 bytes. */
int ur_idlist_decode(struct ur_rbuf *r, bool id0_names, uint32_t *id, char *name, size_t *name_len,
		     struct ur_err *err);

#endif
