# SPDX-License-Identifier: GPL-3.0-or-later
"""Odd names, file sizes, sparse files, empty and read-only directories."""

import pytest

from harness import T0, T1

ODD_NAMES = [
    "with space", "  leading spaces", "trailing space ", "new\nline", "tab\there",
    "carriage\rreturn", "back\\slash", "glob*?[x]", "caf\u00e9", "\u65e5\u672c\u8a9e",
    "emoji-\U0001f600", "-leading-dash", "--double-dash", "#hash", "%percent%n", "a:colon",
    "quote'\"s", "x" * 255, "\x01ctrl", ".hidden", "..dots", "...",
]


def names_tree(t):
    for i, n in enumerate(ODD_NAMES):
        t.file(f"src/{n}", f"file {i}\n", mtime=T0 + i)
    t.dir("src/dir with space/and new\nline")
    t.file("src/dir with space/and new\nline/f\u00e9", "deep\n")
    t.file(b"src/latin1-\xe9".decode("utf-8", "surrogateescape"), "not utf-8\n")
    t.symlink("src/link to space", "with space")
    t.symlink("src/link\nnl", "new\nline")


@pytest.mark.parametrize("opts", [["-ai"], ["-av"], ["-a", "--out-format=%n|%f"],
                                  ["-a", "--list-only"], ["-a", "-8", "-v"]],
                         ids=lambda o: " ".join(o))
@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
def test_odd_names(rr, opts, locale):
    args = [*opts, "src/"] + ([] if "--list-only" in opts else ["dst/"])
    rr.check(args, names_tree, env={"LC_ALL": locale})


def test_odd_names_delete(rr):
    def setup(t):
        names_tree(t)
        t.rsync("-a", "src/", "dst/")
        for n in ODD_NAMES[:8]:
            t.remove(f"src/{n}")

    rr.check(["-ai", "--delete", "src/", "dst/"], setup)


@pytest.mark.parametrize("args", [
    ["-ai", "--", "-leading-dash", "dst/"],
    ["-ai", "./-leading-dash", "dst/"],
    ["-ai", "./-leading-dash", "./--other", "dst/"],
], ids=["double-dash", "dot-slash", "two"])
def test_leading_dash_operands(rr, args):
    def setup(t):
        t.file("-leading-dash", "dash\n")
        t.file("--other", "other\n")
        t.dir("dst")

    rr.check(args, setup)


def test_dest_with_spaces_and_newline(rr):
    def setup(t):
        t.file("src/f", "f\n")
        t.dir("my dst\nx")

    rr.check(["-ai", "src/", "my dst\nx/sub dir/"], setup)


SIZES = [0, 1, 4095, 4096, 4097, 65536, 1024 * 1024 + 17, 5 * 1024 * 1024]


def sizes_tree(t):
    for n in SIZES:
        t.file(f"src/size-{n}", size=n, mtime=T0)


@pytest.mark.parametrize("opts", [["-a"], ["-a", "--no-W"], ["-a", "--inplace"], ["-a", "-S"]],
                         ids=lambda o: " ".join(o))
def test_file_sizes(rr, opts):
    rr.check([*opts, "-i", "--stats", "src/", "dst/"], sizes_tree)


def test_file_sizes_update_delta(rr):
    """Every size, existing with different content: the delta path."""
    def setup(t):
        sizes_tree(t)
        for n in SIZES:
            data = bytearray(open(t.p(f"src/size-{n}"), "rb").read())
            if n:
                data[n // 2] ^= 0xFF
            t.file(f"dst/size-{n}", bytes(data) + b"tail", mtime=T1)

    rr.check(["-ai", "--no-W", "--stats", "src/", "dst/"], setup)


def sparse_tree(t):
    m = 1024 * 1024
    t.sparse("src/holes", 8 * m, [(0, b"head"), (3 * m, b"middle" * 100), (8 * m - 4, b"tail")],
             mtime=T0)
    t.sparse("src/all-hole", 2 * m, [], mtime=T0)
    t.sparse("src/hole-at-end", m + 5, [(0, b"x" * 5000)], mtime=T0)
    t.file("src/zeros-not-sparse", b"\0" * 300_000, mtime=T0)


@pytest.mark.parametrize("opts", [["-a"], ["-aS"], ["-a", "--inplace"], ["-aS", "--inplace"],
                                  ["-a", "--preallocate"], ["-aS", "--preallocate"]],
                         ids=lambda o: " ".join(o))
def test_sparse(rr, opts):
    rr.check([*opts, "-i", "src/", "dst/"], sparse_tree)


def empty_dirs_tree(t):
    t.dir("src/e1")
    t.dir("src/e2/e3/e4")
    t.dir("src/e5", mode=0o700, mtime=T0)
    t.mtime("src/e2/e3", T1)
    t.mtime("src/e2", T0)


@pytest.mark.parametrize("opts", [["-a"], ["-r"], ["-d"], ["-a", "--prune-empty-dirs"],
                                  ["-a", "-m", "--include=*/", "--exclude=*"]],
                         ids=lambda o: " ".join(o))
def test_empty_dirs(rr, opts):
    rr.check([*opts, "-i", "src/", "dst/"], empty_dirs_tree)


def readonly_tree(t):
    t.file("src/ro/a", "a\n", mode=0o444)
    t.file("src/ro/sub/b", "b\n")
    t.chmod("src/ro/sub", 0o555)
    t.chmod("src/ro", 0o555)
    t.dir("src/noperm", mode=0o000)
    t.file("src/w", "w\n")


@pytest.mark.parametrize("opts", [["-a"], ["-r"], ["-rp"], ["-a", "--delete"]],
                         ids=lambda o: " ".join(o))
def test_readonly_dir_in_source(rr, opts):
    rr.check([*opts, "-i", "src/", "dst/"], readonly_tree)


def test_readonly_dir_update(rr):
    """The read-only dir exists in dst: rsync makes it writable for the
    update and restores the mode."""
    def setup(t):
        readonly_tree(t)
        t.rsync("-a", "src/", "dst/")
        t.chmod("src/ro", 0o755)
        t.file("src/ro/a", "changed\n", mode=0o444, mtime=T1)
        t.file("src/ro/new", "new\n")
        t.chmod("src/ro", 0o555)

    rr.check(["-ai", "src/", "dst/"], setup)


def test_deep_tree(rr):
    def setup(t):
        path = "src/" + "/".join(f"d{i}" for i in range(60))
        t.file(f"{path}/leaf", "leaf\n")
        for i in range(200):
            t.file(f"src/wide/f{i:03d}", f"{i}\n", mtime=T0 + i)

    rr.check(["-ai", "src/", "dst/"], setup)
