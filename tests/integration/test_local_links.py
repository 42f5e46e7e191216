# SPDX-License-Identifier: GPL-3.0-or-later
"""Symlinks (-l, -L, --copy-unsafe-links, --safe-links, -k, -K) and hard links (-H)."""

import pytest

from harness import T0, T1


def link_tree(t):
    """Relative, absolute, dangling and unsafe symlinks to files and dirs."""
    out = t.outside
    (out / "abs-target.txt").write_text("outside, absolute\n")
    (out / "absdir").mkdir(exist_ok=True)
    (out / "absdir" / "inner").write_text("inner\n")
    t.file("beside.txt", "beside the source tree\n")
    t.dir("besidedir")
    t.file("besidedir/f", "in besidedir\n")
    t.file("src/a.txt", "alpha\n", mtime=T0)
    t.file("src/sub/b.txt", "bravo\n")
    t.symlink("src/rel", "a.txt", mtime=T1)
    t.symlink("src/sub/up", "../a.txt")
    t.symlink("src/dirlink", "sub")
    t.symlink("src/abs", str(out / "abs-target.txt"))
    t.symlink("src/absdir", str(out / "absdir"))
    t.symlink("src/dangling", "does-not-exist")
    t.symlink("src/unsafe", "../beside.txt")
    t.symlink("src/unsafe-dir", "../besidedir")
    t.symlink("src/sub/unsafe-deep", "../../beside.txt")
    t.symlink("src/sub/safe-updown", "../sub/b.txt")
    t.symlink("src/chain", "rel")


LINK_OPTS = [
    ["-r"],
    ["-rl"],
    ["-rL"],
    ["-rl", "--copy-unsafe-links"],
    ["-rl", "--safe-links"],
    ["-rL", "--safe-links"],
    ["-rl", "--copy-unsafe-links", "--safe-links"],
    ["-a"],
    ["-a", "--copy-links"],
    ["-a", "-k"],
    ["-a", "--munge-links"],
    ["-rlt"],
    ["-rltJ"],
]


@pytest.mark.parametrize("opts", LINK_OPTS, ids=lambda o: " ".join(o))
def test_symlink_options(rr, opts):
    rr.check([*opts, "-i", "src/", "dst/"], link_tree)


@pytest.mark.parametrize("opts", [["-rl"], ["-rL"], ["-rl", "--safe-links"], ["-a", "-k"]],
                         ids=lambda o: " ".join(o))
def test_symlink_as_top_level_source(rr, opts):
    rr.check([*opts, "-i", "src/rel", "src/dirlink", "src/dirlink/", "src/dangling", "dst/"],
             link_tree)


def test_keep_dirlinks(rr):
    """-K: a symlink to a dir in dst is treated as that dir."""
    def setup(t):
        t.file("src/d/f", "f\n")
        t.file("src/d/g", "g\n")
        t.dir("dst/real")
        t.symlink("dst/d", "real")

    for opts in (["-a"], ["-aK"]):
        rr.check([*opts, "-i", "src/", "dst/"], setup, name="K" if "-aK" in opts else "noK")


def test_symlink_target_changed(rr):
    def setup(t):
        link_tree(t)
        t.rsync("-a", "src/", "dst/")
        t.remove("src/rel")
        t.symlink("src/rel", "sub/b.txt", mtime=T1)
        t.remove("src/dangling")
        t.symlink("src/dangling", "still-missing-but-different")

    rr.check(["-ai", "src/", "dst/"], setup)


def test_symlink_replaced_by_file_and_back(rr):
    def setup(t):
        link_tree(t)
        t.rsync("-a", "src/", "dst/")
        t.remove("src/rel")
        t.file("src/rel", "now a file\n")
        t.remove("src/sub/b.txt")
        t.symlink("src/sub/b.txt", "../a.txt")

    rr.check(["-ai", "src/", "dst/"], setup)


def hard_tree(t):
    t.file("src/a", "shared content\n", mtime=T0)
    t.hardlink("src/b", "src/a")
    t.hardlink("src/sub/c", "src/a")
    t.file("src/d", "another\n")
    t.hardlink("src/e", "src/d")
    t.file("src/lonely", "single\n")


@pytest.mark.parametrize("opts", [["-a"], ["-aH"], ["-aHi"], ["-rH"]], ids=lambda o: " ".join(o))
def test_hard_links(rr, opts):
    rr.check([*opts, "src/", "dst/"], hard_tree)


def test_hard_links_partly_present(rr):
    def setup(t):
        hard_tree(t)
        t.rsync("-aH", "src/", "dst/")
        t.remove("dst/b")
        t.remove("dst/e")
        t.file("dst/sub/c", "broken link, separate file now\n", mtime=T0)

    rr.check(["-aHi", "src/", "dst/"], setup)


def deep_hard_tree(t):
    """A group spread over several directories (its members in different
    file lists), another inside one directory, and a symlink pair."""
    t.file("src/top", "group one\n", mtime=T0)
    t.hardlink("src/x/y/deep", "src/top")
    t.hardlink("src/x/mid", "src/top")
    t.hardlink("src/z/last", "src/top")
    t.file("src/x/p", "group two\n", mtime=T0)
    t.hardlink("src/x/q", "src/x/p")
    t.symlink("src/ln1", "top")


@pytest.mark.parametrize("opts", [["-aHi"], ["-aHin"], ["-aHi", "--no-inc-recursive"],
                                  ["-aHv", "--delete"]], ids=lambda o: " ".join(o))
def test_hard_links_across_dirs(rr, opts):
    rr.check([*opts, "src/", "dst/"], deep_hard_tree)


def test_hard_links_middle_member_present(rr):
    """The first member already in the destination leads; the others link
    to it, the earlier ones once it is done."""
    def setup(t):
        deep_hard_tree(t)
        t.file("dst/x/mid", "stale copy\n", mtime=T0)
        t.file("dst/z/last", "other stale\n")

    rr.check(["-aHi", "src/", "dst/"], setup)


def test_hard_links_rerun_unchanged(rr):
    def setup(t):
        deep_hard_tree(t)
        t.rsync("-aH", "src/", "dst/")

    rr.check(["-aHii", "src/", "dst/"], setup)
