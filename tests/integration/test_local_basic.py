# SPDX-License-Identifier: GPL-3.0-or-later
"""Basic local copies: operands, recursion modes, verbosity and output formats."""

import pytest

from harness import T0, T1, basic_tree


def prime(t, *args):
    """Make dst a copy of src with the reference rsync (then the test changes things)."""
    t.rsync("-a", *args, "src/", "dst/")


def partly_synced(t):
    """dst holds an older copy of src: one file changed, one missing, one extra."""
    basic_tree(t)
    prime(t)
    t.file("src/a.txt", "alpha, changed\n", mtime=T1)
    t.file("src/new-file", "new\n")
    t.file("dst/extra", "extra\n")
    t.dir("dst/extradir")
    t.file("dst/extradir/x", "x")


def test_archive_into_empty_dest(rr):
    rr.check(["-a", "src/", "dst/"], basic_tree)


def test_archive_itemized_into_empty_dest(rr):
    ref, _ = rr.check(["-ai", "src/", "dst/"], basic_tree)
    assert ref.rc == 0 and ref.out


def test_archive_onto_identical_dest_is_silent(rr):
    def setup(t):
        basic_tree(t)
        prime(t)

    ref, ours = rr.check(["-ai", "src/", "dst/"], setup)
    assert ref.out == "" and ours.out == ""


@pytest.mark.parametrize("src", ["src", "src/", "src/.", "./src", "src//"])
def test_trailing_slash_on_source(rr, src):
    rr.check(["-ai", src, "dst/"], basic_tree)


@pytest.mark.parametrize("dst", ["dst", "dst/", "./dst", "dst/."])
def test_dest_spelling(rr, dst):
    rr.check(["-ai", "src/", dst], basic_tree)


def test_multiple_sources(rr):
    def setup(t):
        basic_tree(t, "src1")
        t.file("src2/x", "x\n")
        t.file("src2/y/z", "z\n")
        t.file("loose", "loose file\n")
        t.dir("dst")

    rr.check(["-ai", "src1", "src2/", "loose", "dst/"], setup)


def test_multiple_sources_same_name_later_wins(rr):
    def setup(t):
        t.file("one/f", "from one\n")
        t.file("two/f", "from two, longer\n")

    rr.check(["-ai", "one/", "two/", "dst/"], setup)


@pytest.mark.parametrize("dst", ["newdst", "newdst/"])
def test_dest_not_existing_dir_source(rr, dst):
    rr.check(["-ai", "src/", dst], basic_tree)


@pytest.mark.parametrize("dst", ["newname", "newdir/"])
def test_dest_not_existing_single_file(rr, dst):
    rr.check(["-ai", "src/a.txt", dst], basic_tree)


def test_dest_nested_missing_without_mkpath(rr):
    ref, _ = rr.check(["-ai", "src/", "a/b/c/"], basic_tree)
    assert ref.rc == 11


def test_dest_nested_missing_with_mkpath(rr):
    ref, _ = rr.check(["-ai", "--mkpath", "src/", "a/b/c/"], basic_tree)
    assert ref.rc == 0


def test_mkpath_single_file_to_new_name(rr):
    rr.check(["-ai", "--mkpath", "src/a.txt", "x/y/renamed"], basic_tree)


@pytest.mark.parametrize("opts", [[], ["-r"], ["-d"], ["-t"], ["-d", "-t"], ["-rl"]],
                         ids=["none", "r", "d", "t", "dt", "rl"])
@pytest.mark.parametrize("src", ["src", "src/"])
def test_recursion_modes(rr, opts, src):
    """Neither -r nor -d: rsync skips directories ("skipping directory src")."""
    rr.check([*opts, "-i", src, "dst/"], basic_tree)


def test_dry_run(rr):
    ref, _ = rr.check(["-ain", "--delete", "src/", "dst/"], partly_synced)
    assert ref.out


def test_dry_run_into_missing_dest(rr):
    rr.check(["-avn", "src/", "nodst/"], basic_tree)


@pytest.mark.parametrize("opts", [["-v"], ["-vv"], ["-q"], ["-i"], ["-ii"], ["-vi"], ["-qi"],
                                  ["-v", "--delete"], ["-vv", "--delete"], ["-ii", "--delete"]],
                         ids=lambda o: "".join(o))
def test_verbosity(rr, opts):
    rr.check(["-a", *opts, "src/", "dst/"], partly_synced)


TIME = (r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", "<TIME>")


@pytest.mark.parametrize("fmt", [
    "%n", "%i %n%L", "%n|%i|%l|%f|%b|%o|%M", "%t %n", "[%o] %n %l %b", "%B %U %G %n",
    "%%literal %n", "%c %C %n",
])
def test_out_format(rr, fmt):
    rr.check(["-a", "--delete", f"--out-format={fmt}", "src/", "dst/"], partly_synced,
             masks=[TIME])


def test_log_file_format_to_stdout_with_v(rr):
    rr.check(["-av", "--out-format=%o %n", "src/", "dst/"], partly_synced)


@pytest.mark.parametrize("opts", [["--stats"], ["-h", "--stats"], ["-hh", "--stats"],
                                  ["--stats", "--delete"], ["-v", "--stats"],
                                  ["--stats", "-n"], ["-vv", "--stats"]],
                         ids=lambda o: "".join(o))
def test_stats(rr, opts):
    rr.check(["-a", *opts, "src/", "dst/"], partly_synced)


def test_stats_no_change(rr):
    def setup(t):
        basic_tree(t)
        prime(t)

    rr.check(["-a", "--stats", "src/", "dst/"], setup)


def big_tree(t):
    t.file("src/big", size=5 * 1024 * 1024)
    t.file("src/mid", size=1024 * 1024 + 17)
    t.file("src/small", "small\n")
    t.file("src/d/tiny", "t")


@pytest.mark.parametrize("opts", [["--progress"], ["-P"], ["-v", "--progress"],
                                  ["--info=progress2"], ["--info=progress2", "-h"],
                                  ["--progress", "-h"]],
                         ids=lambda o: "".join(o))
def test_progress(rr, opts):
    rr.check(["-a", *opts, "src/", "dst/"], big_tree)


@pytest.mark.parametrize("args", [
    ["--list-only", "src/"],
    ["src/"],
    ["-r", "--list-only", "src/"],
    ["-a", "src"],
    ["--list-only", "src/a.txt", "src/sub"],
    ["-r", "--list-only", "src/", "dst/"],
], ids=["list-only", "implied", "recursive", "a-noslash", "two", "with-dest"])
def test_list_only(rr, args):
    rr.check(args, basic_tree, stdout="exact")


def test_human_readable_list(rr):
    rr.check(["-rh", "--list-only", "src/"], big_tree, stdout="exact")


def test_whole_file_explicit(rr):
    rr.check(["-aWi", "src/", "dst/"], partly_synced)


def test_no_whole_file_delta(rr):
    """Local copies default to whole-file; --no-W runs the delta code."""
    def setup(t):
        big_tree(t)
        prime(t)
        with open(t.p("src/big"), "r+b") as f:
            f.seek(3 * 1024 * 1024)
            f.write(b"changed in the middle")
        t.mtime("src/big", T0)

    rr.check(["-ai", "--no-W", "--stats", "src/", "dst/"], setup)


def test_files_from_stdin_like_list(rr):
    def setup(t):
        basic_tree(t)
        t.file("list", "a.txt\nsub/b.bin\nemptydir\n")

    rr.check(["-ai", "--files-from=list", "src/", "dst/"], setup)
