# SPDX-License-Identifier: GPL-3.0-or-later
"""Metadata: permissions (-p, -E, --chmod), times (-t, -U, -O, -J), owners
(-o, -g, --numeric-ids, --chown, maps) and devices/specials (-D)."""

import pytest

from harness import NOBODY, NOGROUP, T0, T1

DAEMON_UID, BIN_GID = 1, 2  # present in every Debian /etc/passwd and /etc/group


def mode_tree(t):
    t.file("src/rw", "rw\n", mode=0o644)
    t.file("src/exec", "x\n", mode=0o755)
    t.file("src/gx", "gx\n", mode=0o610)
    t.file("src/none", "none\n", mode=0o000)
    t.file("src/all", "all\n", mode=0o777)
    t.file("src/suid", "suid\n", mode=0o4755)
    t.file("src/sgid", "sgid\n", mode=0o2750)
    t.file("src/sticky-file", "sticky\n", mode=0o1644)
    t.dir("src/d700", mode=0o700)
    t.file("src/d700/inner", "inner\n", mode=0o640)
    t.dir("src/d2775", mode=0o2775)
    t.dir("src/sticky", mode=0o1777)
    t.dir("src/ro", mode=0o555)
    t.file("src/ro/f", "in read-only dir\n", mode=0o444)
    t.symlink("src/link", "rw")


def mode_tree_existing(t):
    """dst exists with the same content but other permissions."""
    mode_tree(t)
    t.rsync("-a", "src/", "dst/")
    for rel, m in (("rw", 0o600), ("exec", 0o644), ("gx", 0o777), ("suid", 0o755),
                   ("d2775", 0o755), ("sticky", 0o777), ("ro", 0o755)):
        t.chmod(f"dst/{rel}", m)


PERM_OPTS = [
    ["-r"], ["-rp"], ["-rE"], ["-rt"], ["-rpt"], ["-a"], ["-a", "--no-p"], ["-aE"],
    ["-r", "--executability", "--no-perms"],
]


@pytest.mark.parametrize("opts", PERM_OPTS, ids=lambda o: " ".join(o))
def test_perms_into_empty(rr, opts):
    rr.check([*opts, "-i", "src/", "dst/"], mode_tree)


@pytest.mark.parametrize("opts", PERM_OPTS, ids=lambda o: " ".join(o))
def test_perms_onto_existing(rr, opts):
    rr.check([*opts, "-i", "src/", "dst/"], mode_tree_existing)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002, 0o000])
@pytest.mark.parametrize("opts", [["-r"], ["-rp"], ["-r", "--chmod=+w,o+r"]],
                         ids=lambda o: " ".join(o))
def test_perms_umask(rr, opts, umask):
    rr.check([*opts, "-i", "src/", "dst/"], mode_tree, umask=umask)


CHMOD_SPECS = [
    "u+x", "go-w", "a+rX", "Dg+s,ug+w,Fo-w,+X", "D2775,F664", "F600", "D700",
    "=r", "u=rwx,g=rx,o=", "+t", "g=u", "o=g,g-w", "a+s", "-s", "Fu+s", "D0",
]


@pytest.mark.parametrize("spec", CHMOD_SPECS)
@pytest.mark.parametrize("perms", ["-rp", "-r"])
def test_chmod(rr, spec, perms):
    rr.check([perms, "-i", f"--chmod={spec}", "src/", "dst/"], mode_tree)


@pytest.mark.parametrize("spec", ["u+x", "Dg+s,Fo-w", "644"])
def test_chmod_onto_existing(rr, spec):
    rr.check(["-ai", f"--chmod={spec}", "src/", "dst/"], mode_tree_existing)


def test_chmod_repeated_options_append(rr):
    rr.check(["-ai", "--chmod=u=rw", "--chmod=Du+x", "--chmod=Fg+r", "src/", "dst/"], mode_tree)


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_chmod_without_who_uses_umask(rr, umask):
    rr.check(["-ai", "--chmod=+w,=rX", "src/", "dst/"], mode_tree, umask=umask)


def time_tree(t):
    t.file("src/f", "file\n", mtime=T0)
    t.file("src/g", "gee\n")
    t.mtime("src/g", T1, atime_ns=T0)
    t.dir("src/d")
    t.file("src/d/h", "h\n", mtime=T1)
    t.mtime("src/d", T0)
    t.symlink("src/l", "f", mtime=T1)
    t.symlink("src/d/l2", "../g")
    t.mtime("src/d/l2", T0)
    t.mtime("src", T1)


TIME_OPTS = [
    ["-r"], ["-rt"], ["-rlt"], ["-rltO"], ["-rltJ"], ["-rltOJ"], ["-rltU"], ["-aU"], ["-aUO"],
    ["-a", "--no-t"], ["-a", "--atimes", "--omit-link-times"],
]


@pytest.mark.parametrize("opts", TIME_OPTS, ids=lambda o: " ".join(o))
def test_times_into_empty(rr, opts):
    rr.check([*opts, "-i", "src/", "dst/"], time_tree)


@pytest.mark.parametrize("opts", TIME_OPTS, ids=lambda o: " ".join(o))
def test_times_onto_existing(rr, opts):
    def setup(t):
        time_tree(t)
        t.rsync("-rl", "src/", "dst/")  # same content, times all "now"

    rr.check([*opts, "-i", "src/", "dst/"], setup)


def test_crtimes(rr):
    """-N: rsync on Linux refuses (no create times); the exit code must match."""
    rr.check(["-aN", "src/", "dst/"], time_tree)


def owner_tree(t):
    t.file("src/root", "root\n", uid=0, gid=0)
    t.file("src/nobody", "nobody\n", uid=NOBODY, gid=NOGROUP)
    t.file("src/daemon-bin", "daemon:bin\n", uid=DAEMON_UID, gid=BIN_GID)
    t.file("src/unnamed", "1234:5678\n", uid=1234, gid=5678)
    t.file("src/mixed", "nobody:5678\n", uid=NOBODY, gid=5678)
    t.dir("src/dir-nobody", uid=NOBODY, gid=NOGROUP)
    t.file("src/dir-nobody/in", "in\n", uid=4321, gid=NOGROUP)
    t.symlink("src/link-unnamed", "root", uid=1234, gid=5678)


OWNER_OPTS = [
    ["-r"], ["-rl"], ["-rlo"], ["-rlg"], ["-rlog"], ["-a"], ["-a", "--numeric-ids"],
    ["-a", "--chown=nobody:nogroup"], ["-a", "--chown=:bin"], ["-a", "--chown=4000"],
    ["-a", "--usermap=nobody:daemon,1234:999"], ["-a", "--groupmap=*:bin"],
    ["-a", "--usermap=0-1000:77"], ["-rl", "--chown=nobody"],
]


@pytest.mark.parametrize("opts", OWNER_OPTS, ids=lambda o: " ".join(o))
def test_owners(rr, am_root, opts):
    rr.check([*opts, "-i", "src/", "dst/"], owner_tree)


def test_owners_changed_only(rr, am_root):
    """Same content and times, only the owner differs: itemize ".f....og..."."""
    def setup(t):
        owner_tree(t)
        t.rsync("-a", "src/", "dst/")
        t.chown("dst/root", NOBODY, NOGROUP)
        t.chown("dst/unnamed", 0, 0)
        t.chown("dst/dir-nobody", 0, -1)

    for opts in (["-a"], ["-rlt"], ["-ao"], ["-rltg"]):
        rr.check([*opts, "-i", "src/", "dst/"], setup, name="".join(opts))


def dev_tree(t):
    t.fifo("src/fifo", mode=0o640, mtime=T0)
    t.device("src/null-like", "c", 1, 3, mode=0o666, mtime=T0)
    t.device("src/zero-like", "c", 1, 5, mode=0o600)
    t.device("src/blk", "b", 7, 200, mode=0o660, mtime=T1)
    t.file("src/regular", "regular\n")
    t.dir("src/d")
    t.fifo("src/d/fifo2")


DEV_OPTS = [
    ["-r"], ["-rD"], ["-r", "--specials"], ["-r", "--devices"], ["-a"], ["-a", "--no-D"],
    ["-a", "--no-devices"], ["-a", "--no-specials"],
]


@pytest.mark.parametrize("opts", DEV_OPTS, ids=lambda o: " ".join(o))
def test_devices(rr, am_root, opts):
    rr.check([*opts, "-i", "src/", "dst/"], dev_tree)


def test_devices_changed_in_dest(rr, am_root):
    def setup(t):
        dev_tree(t)
        t.rsync("-a", "src/", "dst/")
        t.remove("dst/null-like")
        t.device("dst/null-like", "c", 1, 7, mode=0o666, mtime=T0)  # other rdev
        t.remove("dst/blk")
        t.device("dst/blk", "c", 7, 200, mode=0o660, mtime=T1)  # block -> char
        t.remove("dst/fifo")
        t.file("dst/fifo", "was a fifo\n", mtime=T0)

    rr.check(["-ai", "src/", "dst/"], setup)


def test_copy_devices(rr, am_root):
    def setup(t):
        t.device("src/zero", "c", 1, 3, mode=0o644, mtime=T0)  # /dev/null numbers: reads 0 bytes
        t.file("src/f", "f\n")

    rr.check(["-ai", "--copy-devices", "src/", "dst/"], setup)
