#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Print the entry-point table of docs/fastio.md: every struct, enum and
function declared in src/io/io.h with its line, and where each function is
defined in src/io/*.c. Run from the top of the tree."""
import re,glob
hdr=open('src/io/io.h').read().split('\n')
defs={}
for f in sorted(glob.glob('src/io/*.c')):
    for i,l in enumerate(open(f).read().split('\n'),1):
        m=re.match(r'^[a-z_][a-z_0-9 ]*[ *]+\**(ur_[a-z0-9_]+)\(',l)
        if m and not l.rstrip().endswith(';'):
            defs.setdefault(m.group(1),[]).append(f.split('/')[-1]+':'+str(i))
for i,l in enumerate(hdr,1):
    m=re.match(r'^(struct|enum) (ur_[a-z_]+) \{',l)
    if m:
        print('| `%s %s` | %d |  |' % (m.group(1), m.group(2), i)); continue
    m=re.match(r'^[a-z].*?\b(ur_[a-z0-9_]+)\(',l)
    if m:
        n=m.group(1); print('| `%s` | %d | %s |' % (n, i, ', '.join(defs.get(n,['?']))))
