# SPDX-License-Identifier: GPL-3.0-or-later
"""--chown, --usermap, --groupmap in a local copy, run as root (and as
nobody), compared with rsync 3.5.0: names, ids, ranges, wildcards, the
first matching rule, --numeric-ids, unknown names and malformed maps."""

import pytest

from harness import NOBODY, T0, T1


def owners(t):
    """Files owned by named users and groups, and by ids with no name."""
    for name, uid, gid in (("root", 0, 0), ("daemon", 1, 1), ("bin", 2, 2), ("sys", 3, 3),
                           ("backup", 34, 34), ("nobody", NOBODY, NOBODY),
                           ("noname", 4242, 4343), ("mixed", 2, 34)):
        t.file(f"src/{name}", f"owned by {name}\n", uid=uid, gid=gid, mtime=T0)
    t.dir("src/d", uid=1, gid=2, mtime=T0)
    t.file("src/d/f", "f\n", uid=34, gid=1, mtime=T0)
    t.symlink("src/d/l", "f", uid=2, gid=3, mtime=T0)
    t.mtime("src/d", T0)
    t.mtime("src", T1)


MAPS = [
    ["--chown=nobody:nogroup"], ["--chown=nobody"], ["--chown=:nogroup"], ["--chown=1000:1000"],
    ["--chown=daemon:"], ["--chown=4242:4343"],
    ["--usermap=0:nobody"], ["--usermap=root:daemon,bin:1000"], ["--usermap=*:nobody"],
    ["--usermap=1-3:4242"], ["--usermap=b*:nobody"], ["--usermap=[bd]*:sys"],
    ["--usermap=4242:root"], ["--usermap=bin:nobody,2:daemon"], ["--usermap=2:daemon,bin:nobody"],
    ["--usermap=?in:backup,*:root"], ["--usermap=0-0:bin"],
    ["--groupmap=0:nogroup"], ["--groupmap=bin:staff,*:users"], ["--groupmap=1-40:4343"],
    ["--groupmap=4343:root"], ["--groupmap=[ab]*:sys"],
    ["--usermap=*:nobody", "--groupmap=*:nogroup"],
    ["--usermap=bin:daemon", "--numeric-ids"], ["--usermap=*:daemon", "--numeric-ids"],
    ["--usermap=2:daemon", "--numeric-ids"], ["--groupmap=sys:bin", "--numeric-ids"],
    ["--usermap=0:nosuchuser,bin:daemon"], ["--groupmap=bin:nosuchgroup"],
]


@pytest.mark.parametrize("opts", [["-ai"], ["-rlti"], ["-av"], ["-ai", "--stats"]],
                         ids=lambda o: " ".join(o))
@pytest.mark.parametrize("m", MAPS, ids=lambda o: " ".join(o))
def test_map(rr, am_root, m, opts):
    rr.check([*opts, *m, "src/", "dst/"], owners)


@pytest.mark.parametrize("m", MAPS[:12], ids=lambda o: " ".join(o))
def test_map_second_run(rr, am_root, m):
    """The destination is already there with the sender's owners: the map
    decides what changes (the "o" and "g" columns)."""
    def setup(t):
        owners(t)
        t.rsync("-a", "src/", "dst/")

    rr.check(["-ai", *m, "src/", "dst/"], setup)


@pytest.mark.parametrize("m", [["--chown=nobody:nogroup"], ["--groupmap=*:nogroup"],
                               ["--usermap=*:nobody"]],
                         ids=lambda o: " ".join(o))
def test_map_as_nobody(rr, am_root, m):
    """Not root: no owner changes; a group only where we are a member."""
    def setup(t):
        t.file("src/a", "a\n", uid=NOBODY, gid=NOBODY, mtime=T0)
        t.file("src/b", "b\n", uid=NOBODY, gid=0, mtime=T0)
        t.mtime("src", T1)
        t.dir("dst", uid=NOBODY, gid=NOBODY)

    rr.check(["-ai", *m, "src/", "dst/"], setup, user=(NOBODY, NOBODY))


@pytest.mark.parametrize("m", [["--usermap=foo"], ["--usermap=1:"], ["--usermap=5-x:1"],
                               ["--usermap=1-2-3:1"], ["--groupmap=a:b,c"],
                               ["--usermap=99999999999:1"], ["--usermap=5-:1"],
                               ["--chown=nosuchuser"], ["--usermap=1:2,foo,3:"]],
                         ids=lambda o: " ".join(o))
def test_bad_map(rr, am_root, m):
    """rsync's receiver refuses a malformed map (exit 1) before it touches
    the destination."""
    rr.check(["-ai", *m, "src/", "dst/"], owners)
