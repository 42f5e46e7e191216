/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals shared by filter.c (lists, matching, directories) and
 * filter_parse.c (the rule grammar). Not for use outside src/filter/. */
#ifndef UR_FILTER_INT_H
#define UR_FILTER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter/filter.h"

/* Rule flags. */
enum {
	R_INCLUDE = 1u << 0,	   /* "+": include (else exclude) */
	R_DIR_ONLY = 1u << 1,	   /* pattern had a trailing '/' */
	R_ABS = 1u << 2,	   /* "/" modifier: match the absolute path */
	R_NEGATE = 1u << 3,	   /* "!" modifier: fire when the pattern fails */
	R_SENDER = 1u << 4,	   /* "s", hide, show */
	R_RECEIVER = 1u << 5,	   /* "r", protect, risk */
	R_PERISHABLE = 1u << 6,	   /* "p" */
	R_XATTR = 1u << 7,	   /* "x": matches xattr names only */
	R_MERGE = 1u << 8,	   /* "." or ":" */
	R_DIRMERGE = 1u << 9,	   /* ":" */
	R_NO_PREFIXES = 1u << 10,  /* merge "+"/"-": lines are bare patterns */
	R_WORDS = 1u << 11,	   /* merge "w": split on whitespace */
	R_NO_INHERIT = 1u << 12,   /* merge "n" */
	R_EXCLUDE_SELF = 1u << 13, /* merge "e" */
	R_CVS = 1u << 14,	   /* "C" */
	R_CLEAR = 1u << 15,	   /* "!" rule */
	R_WILD = 1u << 16,	   /* pattern has * ? or [ */
	R_WILD2 = 1u << 17,	   /* pattern has ** */
	R_WILD2_PREFIX = 1u << 18, /* pattern starts with ** */
	R_WILD3_SUFFIX = 1u << 19, /* pattern ends with *** */
	R_FROM_FILE = 1u << 20,	   /* text came from a file's contents */
};
#define R_SIDES (R_SENDER | R_RECEIVER)
/* What a rule read from a merge file takes from the merge rule. */
#define R_FROM_TEMPLATE (R_ABS | R_INCLUDE | R_DIR_ONLY | R_NEGATE | R_PERISHABLE)

struct ur_filt_dmerge;

struct ur_filt_rule {
	uint32_t flags;
	unsigned slash_cnt;	   /* '/' in pattern, trailing one excluded */
	char *pattern;		   /* owned; for ':' the merge file name */
	struct ur_filt_dmerge *dm; /* ':' rules: the per-directory state */
};

/* An ordered rule vector; rules are heap objects so pointers stay valid. */
struct ur_filt_rules {
	struct ur_filt_rule **v;
	size_t n, cap;
};

/* One directory's rules for one dir-merge rule. */
struct ur_filt_frame {
	struct ur_filt_rules rules;
	unsigned depth; /* push depth it belongs to; 0: parents of the root */
	bool cut;	/* frames below are not inherited ("n", or a "!") */
};

struct ur_filt_dmerge {
	struct ur_filt_rule *owner;
	struct ur_filt_frame *frames; /* bottom first; the top is checked first */
	size_t n, cap;
	bool set_up; /* the parent-directory scan has been done */
};

struct ur_filter_list {
	struct ur_filter_config cfg; /* strings owned */
	struct ur_filt_rules global;
	struct ur_filt_rules cvs; /* what "-C" rules consult */
	bool cvs_built;
	struct ur_filt_dmerge **active; /* dir-merge rules in force; NULL holes */
	size_t nactive, capactive;
	unsigned depth;	      /* ur_filter_push_dir depth */
	unsigned merge_depth; /* merge files being read right now */
	unsigned discarded;
};

/* How a piece of rule text is being read. */
struct ur_filt_parse {
	struct ur_filter_list *l;
	struct ur_filt_rules *dst;
	struct ur_filt_frame *frame; /* dst's frame, when reading a per-dir file */
	uint32_t tmpl;		     /* flags of the merge rule (0 for arguments) */
	bool old_prefixes;
	bool daemon; /* UR_FILTER_DAEMON */
	/* Per-directory reading: anchored patterns get this directory
	 * prepended; dir_abs says it is absolute (parent scan). NULL: global. */
	const char *dir;
	bool dir_abs;
	/* Provenance, for messages that must not echo file contents. */
	const char *file;   /* NULL: the text is an argument */
	int line;	    /* -1: word-split, no line numbers */
	bool named_by_file; /* the file's own name came from file contents */
	const struct ur_filt_parse *parent;
	struct ur_err *err;
};

/* filter.c */
int ur_filt_rules_push(struct ur_filt_rules *rs, struct ur_filt_rule *r);
void ur_filt_rules_clear(struct ur_filter_list *l, struct ur_filt_rules *rs);
void ur_filt_rule_free(struct ur_filter_list *l, struct ur_filt_rule *r);
int ur_filt_activate(struct ur_filter_list *l, struct ur_filt_rule *r);
bool ur_filt_already_active(const struct ur_filter_list *l, const char *name);
int ur_filt_read(struct ur_filter_list *l, const char *path, char **buf, size_t *len);

/* filter_parse.c */
int ur_filt_parse_str(struct ur_filt_parse *p, const char *s);
int ur_filt_parse_buf(struct ur_filt_parse *p, const char *buf, size_t len);
int ur_filt_build_cvs(struct ur_filter_list *l, uint32_t flags, struct ur_err *err);

#endif
