# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference directories: --link-dest, --compare-dest, --copy-dest, compared
with rsync 3.5.0 (items, -v names, --stats, warnings, exit codes, and the
trees, whose nlink counts show which files share an inode with the
reference directory)."""

import os

import pytest

from harness import NOBODY, T0, T1

KINDS = ["--link-dest", "--compare-dest", "--copy-dest"]


def base(t):
    t.file("src/same", "unchanged\n", mtime=T0)
    t.file("src/changed", "old contents\n", mtime=T0)
    t.file("src/gone", "deleted later\n", mtime=T0)
    t.file("src/exec.sh", "#!/bin/sh\n", mode=0o755, mtime=T0)
    t.file("src/d/deep", "deep\n", mtime=T0)
    t.file("src/d/e/deeper", "deeper\n", mtime=T1)
    t.dir("src/empty", mtime=T0)
    t.symlink("src/l", "same")
    t.symlink("src/d/up", "../same")
    t.mtime("src/d/e", T1)
    t.mtime("src/d", T0)
    t.mtime("src", T1)


def snapshot_then_change(t):
    """prev/ is yesterday's snapshot; today src/ has a changed, an added
    and a removed file."""
    base(t)
    t.rsync("-a", "src/", "prev/")
    t.file("src/changed", "new contents, longer\n", mtime=T1)
    t.file("src/added", "added\n", mtime=T1)
    t.remove("src/gone")
    t.mtime("src", T1)


SNAP_OPTS = [["-a"], ["-ai"], ["-aii"], ["-av"], ["-avv"], ["-a", "--stats"], ["-avi", "--stats"],
             ["-ain"], ["-avn"], ["-a", "--delete", "-i"], ["-ac", "-i"], ["-rli"], ["-rlti"],
             ["-ai", "--no-whole-file"], ["-aiH"], ["-ai", "--remove-source-files"],
             ["-ai", "--out-format=%i %n%L %l"], ["-ai", "--inplace"], ["-aiu"],
             ["-ai", "--ignore-existing"], ["-ai", "--partial-dir=.p"], ["-aiO"], ["-rlEi"],
             ["-ai", "--size-only"], ["-aiR"], ["-ai", "--mkpath"], ["-ai", "--progress"],
             ["-ai", "--existing"], ["-ai", "-m"], ["-aiJ"], ["-aib"],
             ["-ai", "--exclude=d"], ["-a", "--info=name2"], ["-a", "--info=skip2"],
             ["-ai", "-I"], ["-ai", "--modify-window=-1"], ["-ai", "--max-size=12"],
             ["-ai", "--delete-after"], ["-ai", "--delete-before"], ["-aiU"],
             ["-ai", "--chmod=go-r"], ["-ai", "--backup-dir=../bk", "-b"]]


@pytest.mark.parametrize("opts", SNAP_OPTS, ids=lambda o: " ".join(o))
@pytest.mark.parametrize("kind", KINDS)
def test_snapshot(rr, kind, opts):
    """rsnapshot, dirvish and Back In Time: a new snapshot beside the last."""
    rr.check([*opts, f"{kind}=../prev", "src/", "new/"], snapshot_then_change)


def test_rsnapshot_exact(rr):
    """The backup tools' line, and every unchanged file shares prev's inode."""
    ref, ours = rr.check(["-a", "--delete", "--link-dest=../prev", "src/", "new/"],
                         snapshot_then_change)
    for rel in ("new/same", "new/exec.sh", "new/d/deep", "new/d/e/deeper"):
        assert ours.tree[rel].nlink == 2, rel
    assert ours.tree["new/changed"].nlink == 1
    assert ours.tree["new/added"].nlink == 1
    assert os.stat(ours.wd / "new/same").st_ino == os.stat(ours.wd / "prev/same").st_ino


def test_rsnapshot_rotation(rr):
    """A third snapshot linked against the second, which links the first."""
    def setup(t):
        snapshot_then_change(t)
        t.rsync("-a", "--delete", "--link-dest=../prev", "src/", "mid/")
        t.file("src/added", "added, changed again\n", mtime=T0)

    ref, ours = rr.check(["-ai", "--delete", "--link-dest=../mid", "src/", "new/"], setup)
    assert ours.tree["new/same"].nlink == 3


def several(t):
    """Three reference dirs: a file identical only in the second, one that
    matches in content but not mode in the first and exactly in the third,
    one of a different size everywhere."""
    base(t)
    for r in ("r1", "r2", "r3"):
        t.rsync("-a", "src/", f"{r}/")
    t.file("r1/same", "not the same at all\n", mtime=T0)
    t.file("r3/same", "unchanged\n", mtime=T1)
    t.chmod("r1/exec.sh", 0o700)
    t.file("r2/exec.sh", "#!/bin/sh\n", mode=0o755, mtime=T1)
    for r in ("r1", "r2", "r3"):
        t.file(f"{r}/changed", "other size in " + r + "\n", mtime=T0)
    t.remove("r2/d/deep")
    t.remove("r1/d/e")
    t.remove("r2/d/e")
    t.file("r2/d/e", "a file where src has a dir\n")


@pytest.mark.parametrize("opts", [["-ai"], ["-aii"], ["-av"], ["-ai", "--stats"], ["-ain"]],
                         ids=lambda o: " ".join(o))
@pytest.mark.parametrize("kind", KINDS)
def test_several_dirs(rr, kind, opts):
    rr.check([*opts, f"{kind}=../r1", f"{kind}=../r2", f"{kind}=../r3/", "src/", "new/"], several)


def breakers(t):
    """prev differs from src in one attribute per file."""
    base(t)
    t.rsync("-a", "src/", "prev/")
    t.mtime("prev/same", T1)          # mtime: quick check fails
    t.chmod("prev/exec.sh", 0o700)    # perms: a copy, not a link
    t.chown("prev/d/deep", NOBODY, NOBODY)  # owner
    t.file("prev/changed", "OLD CONTENTS\n", mtime=T0)  # same size and time, other data
    t.chmod("prev/d/e", 0o700)        # a directory's perms
    t.mtime("prev/d", T1)             # a directory's time
    t.remove("prev/l")
    t.symlink("prev/l", "elsewhere")  # a symlink's target


@pytest.mark.parametrize("opts", [["-ai"], ["-aii"], ["-aic"], ["-av"], ["-avv"], ["-rlpi"],
                                  ["-rlti"], ["-ai", "--size-only"], ["-ai", "--stats"]],
                         ids=lambda o: " ".join(o))
@pytest.mark.parametrize("kind", KINDS)
def test_attribute_breaks_match(rr, am_root, kind, opts):
    rr.check([*opts, f"{kind}=../prev", "src/", "new/"], breakers)


@pytest.mark.parametrize("opts", [["-ai"], ["-aii"], ["-avv"], ["-aic"], ["-ai", "-I"],
                                  ["-ain"], ["-ai", "--delete"], ["-ai", "--inplace"],
                                  ["-aib"], ["-ai", "--no-whole-file"], ["-aiH"],
                                  ["-ai", "--delete-delay"], ["-ai", "--backup-dir=../bk"],
                                  ["-aiu"]],
                         ids=lambda o: " ".join(o))
@pytest.mark.parametrize("kind", KINDS)
def test_existing_destination(rr, kind, opts):
    """new/ already holds copies (not links): an exact match replaces a
    file with a link (--link-dest) or leaves it; other differences go the
    usual way."""
    def setup(t):
        snapshot_then_change(t)
        t.rsync("-a", "src/", "new/")
        t.file("new/changed", "stale\n", mtime=T0)
        t.chmod("new/exec.sh", 0o700)
        os.link(t.p("prev/d/deep"), t.p("new/d/deep.tmp"))
        os.replace(t.p("new/d/deep.tmp"), t.p("new/d/deep"))

    rr.check([*opts, f"{kind}=../prev", "src/", "new/"], setup)


@pytest.mark.parametrize("opts", [["-ai"], ["-av"], ["-ain"]], ids=lambda o: " ".join(o))
@pytest.mark.parametrize("kind", KINDS)
def test_missing_ref_dir(rr, kind, opts):
    """rsync warns of a missing DIR or one that is not a directory, and
    goes on (exit 0)."""
    def setup(t):
        snapshot_then_change(t)
        t.file("afile", "x\n")

    rr.check([*opts, f"{kind}=../nope", f"{kind}=../afile", f"{kind}=../prev", "src/", "new/"],
             setup)


@pytest.mark.parametrize("kind", KINDS)
def test_ref_dir_is_a_symlink(rr, kind):
    def setup(t):
        snapshot_then_change(t)
        os.rename(t.p("prev"), t.p("prev.real"))
        t.symlink("prev", "prev.real")

    rr.check(["-ai", f"{kind}=../prev", "src/", "new/"], setup)


@pytest.mark.parametrize("kind", KINDS)
def test_ref_dir_relative_to_existing_dest(rr, kind):
    """A DIR without ../ is looked up inside the destination."""
    def setup(t):
        snapshot_then_change(t)
        t.dir("new")
        os.rename(t.p("prev"), t.p("new/inside"))

    rr.check(["-ai", f"{kind}=inside", "src/", "new/"], setup)


def hardlinked(t):
    t.file("src/a", "linked\n", mtime=T0)
    t.hardlink("src/b", "src/a")
    t.hardlink("src/sub/c", "src/a")
    t.file("src/solo", "solo\n", mtime=T0)
    t.file("src/x", "x group\n", mtime=T0)
    t.hardlink("src/y", "src/x")
    t.mtime("src", T1)
    t.mtime("src/sub", T1)
    t.rsync("-aH", "src/", "prev/")
    t.file("src/x", "x group, changed\n", mtime=T1)


@pytest.mark.parametrize("opts", [["-aiH"], ["-aiiH"], ["-avH"], ["-aH", "--stats"], ["-ainH"],
                                  ["-ai"]],
                         ids=lambda o: " ".join(o))
@pytest.mark.parametrize("kind", KINDS)
def test_hard_links(rr, kind, opts):
    rr.check([*opts, f"{kind}=../prev", "src/", "new/"], hardlinked)


@pytest.mark.parametrize("kind", KINDS)
def test_devices_and_fifos(rr, am_root, kind):
    def setup(t):
        t.device("src/null", "c", 1, 3, mtime=T0)
        t.fifo("src/pipe", mtime=T0)
        t.device("src/other", "c", 1, 5, mtime=T0)
        t.mtime("src", T1)
        t.rsync("-a", "src/", "prev/")
        t.remove("prev/other")
        t.device("prev/other", "b", 1, 5, mtime=T0)

    rr.check(["-aii", f"{kind}=../prev", "src/", "new/"], setup)


@pytest.mark.parametrize("kind", KINDS)
def test_single_file(rr, kind):
    """DEST names one file: its name is looked up in the reference dir."""
    def setup(t):
        snapshot_then_change(t)
        t.rsync("-a", "src/same", "prev/copy")

    rr.check(["-ai", f"{kind}=prev", "src/same", "copy"], setup)


def test_kinds_conflict(rr):
    rr.check(["-a", "--link-dest=../a", "--compare-dest=../b", "src/", "new/"], base)


def test_too_many(rr):
    args = [f"--link-dest=../r{i}" for i in range(21)]
    rr.check(["-a", *args, "src/", "new/"], base)


@pytest.mark.parametrize("kind", ["--compare-dest", "--copy-dest"])
def test_absolute_ref_dir(rr, kind):
    """An absolute DIR (outside the work directory, read by both runs)."""
    def setup(t):
        base(t)
        out = t.outside
        t.rsync("-a", "src/", str(out / "snap") + "/")
        t.file("src/changed", "new contents, longer\n", mtime=T1)

    rr.check(["-ai", f"{kind}={rr.ws.base / 'outside' / 'snap'}", "src/", "new/"], setup)


def owned_by_nobody(t):
    snapshot_then_change(t)
    for root, dirs, files in os.walk(t.root):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), NOBODY, NOBODY)
    os.lchown(t.root, NOBODY, NOBODY)


@pytest.mark.parametrize("opts", [["-ai"], ["-av"], ["-aii"]], ids=lambda o: " ".join(o))
@pytest.mark.parametrize("kind", KINDS)
def test_as_nobody(rr, am_root, kind, opts):
    rr.check([*opts, f"{kind}=../prev", "src/", "new/"], owned_by_nobody, user=(NOBODY, NOBODY))


@pytest.mark.parametrize("opts", [["-i"], ["-v"], ["-vv"], ["-ii"]], ids=lambda o: " ".join(o))
def test_link_refused_falls_back_to_copy(rr, am_root, opts):
    """As nobody, the kernel (fs.protected_hardlinks) refuses to link root's
    files: rsync copies them instead, saying so (on stdout) at -v."""
    if open("/proc/sys/fs/protected_hardlinks").read().strip() != "1":
        pytest.skip("fs.protected_hardlinks is off")

    def setup(t):
        owned_by_nobody(t)
        for root, dirs, files in os.walk(t.p("prev")):
            for n in files:
                os.lchown(os.path.join(root, n), 0, NOBODY)

    rr.check([*opts, "--link-dest=../prev", "-rlpt", "src/", "new/"], setup,
             user=(NOBODY, NOBODY), masks=[(r"^u?rsync: ", "rsync: ")])
