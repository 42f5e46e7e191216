# SPDX-License-Identifier: GPL-3.0-or-later
"""The delta on a local copy: --no-whole-file with and without --inplace,
--append and --append-verify (files that grew, shrank, stayed or whose kept
part differs, which makes rsync redo the file), compared with rsync 3.5.0
down to the --stats literal and matched data."""

import random

import pytest

from harness import T0, T1


def _base(n, seed):
    return random.Random(seed).randbytes(n)


def delta_tree(t):
    """Files the delta has work on: scattered rewrites, an insertion, a
    deletion, truncation, growth, zeros that move, a block repeated."""
    base = _base(600_000, "base")
    scattered = bytearray(base)
    for off in range(20_000, 600_000, 90_000):
        scattered[off:off + 3000] = _base(3000, off)
    zeros = bytes(50_000) + base[:200_000] + bytes(50_000)
    variants = {
        "scattered": (bytes(scattered), base),
        "inserted": (base[:300_000] + b"INSERTED" * 500 + base[300_000:], base),
        "deleted": (base[:100_000] + base[140_000:], base),
        "truncated": (base[:250_000], base),
        "grown": (base + base[:100_000], base),
        "shifted-zeros": (bytes(7000) + zeros, zeros),
        "zeros-realign": (bytes(3000) + zeros[3000:], zeros),
        "repeated": (base[:2048] * 40, base[:2048] * 30 + base[4096:8192]),
        "moved-back": (base[300_000:] + base[:300_000], base),
    }
    for name, (s, d) in variants.items():
        t.file("src/" + name, s, mtime=T1)
        t.file("dst/" + name, d, mtime=T0)
    t.file("src/new", "not in dst\n", mtime=T1)


@pytest.mark.parametrize("opts", [["--no-W"], ["--no-W", "--inplace"], ["--no-W", "-B", "2048"],
                                  ["--no-W", "--inplace", "-B", "1000"],
                                  ["--no-W", "--inplace", "-I"],
                                  ["--no-W", "--checksum-seed=7"]],
                         ids=lambda o: " ".join(o))
def test_delta_stats(rr, opts):
    """Same files and the same literal/matched split as rsync."""
    rr.check(["-ai", "--stats", *opts, "src/", "dst/"], delta_tree)


def big_delta_tree(t):
    """Files past the size where a local delta runs on threads (16 MiB):
    scattered rewrites, an insertion and a truncation across several of
    its batches, and one small file beside them that takes the serial
    path."""
    base = _base(20 << 20, "big-base")
    scattered = bytearray(base)
    for off in range(123_457, len(base) - 5000, 1_300_000):
        scattered[off:off + 4096] = _base(4096, off)
    variants = {
        "big-scattered": (bytes(scattered), base),
        "big-inserted": (base[:9 << 20] + b"INSERTED" * 700 + base[9 << 20:], base),
        "big-truncated": (base[:(17 << 20) + 333], base),
        "small": (scattered[:300_000], base[:300_000]),
    }
    for name, (s, d) in variants.items():
        t.file("src/" + name, s, mtime=T1)
        t.file("dst/" + name, d, mtime=T0)


@pytest.mark.parametrize("opts", [["--stats"], ["--out-format=%i %n %l %b"]],
                         ids=lambda o: " ".join(o))
def test_delta_big_files(rr, opts):
    """The threaded local delta: the same files, literal/matched split and
    %b as rsync's (which runs the same delta in three processes)."""
    rr.check(["-ai", "--no-W", *opts, "src/", "dst/"], big_delta_tree)


def append_tree(t):
    tail = b"B" * 50_000
    t.file("src/grow", b"A" * 100_000 + tail, mtime=T1)
    t.file("dst/grow", b"A" * 100_000, mtime=T0)
    t.file("src/bad", b"A" * 100_000 + tail, mtime=T1)
    t.file("dst/bad", b"X" * 100_000, mtime=T0)     # kept part differs
    t.file("src/same", b"C" * 1000, mtime=T1)
    t.file("dst/same", b"D" * 2000, mtime=T0)       # longer: left alone
    t.file("src/equal", b"E" * 3000, mtime=T1)
    t.file("dst/equal", b"F" * 3000, mtime=T0)      # as long: left alone
    t.file("src/up-to-date", b"U" * 10, mtime=T0)
    t.file("dst/up-to-date", b"U" * 10, mtime=T0)
    t.file("src/empty-dst", b"Z" * 70_000, mtime=T1)
    t.file("dst/empty-dst", b"", mtime=T0)
    t.file("src/new", b"N" * 10, mtime=T1)
    t.file("src/big-grow", _base(400_000, "big"), mtime=T1)
    t.file("dst/big-grow", _base(400_000, "big")[:123_457], mtime=T0)


@pytest.mark.parametrize("opts", [["--append"], ["--append-verify"], ["--append", "-v"],
                                  ["--append-verify", "-v"], ["--append-verify", "--stats"],
                                  ["--append", "--stats"], ["--append-verify", "-n"],
                                  ["--append", "--no-W"], ["--append-verify", "-c"],
                                  ["--append-verify", "--out-format=%i %n %l %b"]],
                         ids=lambda o: " ".join(o))
def test_append(rr, opts):
    rr.check(["-ai", *opts, "src/", "dst/"], append_tree)


def test_append_plain_r(rr):
    """Without -t the kept part is still trusted; sizes decide."""
    rr.check(["-r", "-i", "--append", "src/", "dst/"], append_tree)


CHOICES = ["md5", "md4", "xxh64", "xxh3", "xxh128", "none", "md5,xxh64", "xxhash", "auto",
           "xxh3,md4"]


@pytest.mark.parametrize("cc", CHOICES)
def test_checksum_choice_out_format(rr, cc):
    """--checksum-choice on a local copy: %C is the file's digest in the
    chosen checksum, shown as rsync shows it (xxhash kinds as numbers,
    none blank), and the delta is still the delta."""
    rr.check(["-a", f"--cc={cc}", "--no-W", "--stats", "--out-format=%i %n %C",
              "src/", "dst/"], delta_tree)


@pytest.mark.parametrize("args", [["-c", "--cc=md5,none"], ["-c", "--cc=none"], ["--cc=bogus"],
                                  ["--cc=md5,bogus"], ["-c", "--cc=xxh64,md5", "-i"]],
                         ids=lambda a: " ".join(a))
def test_checksum_choice_errors(rr, args):
    rr.check(["-a", *args, "src/", "dst/"], append_tree)


def partial_tree(t):
    """Partial copies from an interrupted earlier run beside files that
    are missing, changed or already up to date."""
    base = _base(300_000, "p")
    t.file("src/missing", base, mtime=T1)
    t.file("dst/.part/missing", base[:120_000], mtime=T0)
    t.file("src/changed", base, mtime=T1)
    t.file("dst/changed", base[:50_000], mtime=T0)
    t.file("dst/.part/changed", base[:200_000], mtime=T0)
    t.file("src/same", "same\n", mtime=T0)
    t.file("dst/same", "same\n", mtime=T0)
    t.file("dst/.part/same", "sa", mtime=T0)
    t.file("src/sub/deep", base[:90_000], mtime=T1)
    t.file("dst/sub/.part/deep", base[:40_000], mtime=T0)
    t.file("dst/sub/.part/other", "a partial of something else\n", mtime=T0)
    t.file("src/.part/sent-from-src", "the rule keeps this out\n", mtime=T0)
    t.file("dst/old/.part/x", "x\n", mtime=T0)


@pytest.mark.parametrize("opts", [["--partial-dir=.part"], ["--partial-dir=.part", "--no-W", "--stats"],
                                  ["--partial-dir=.part", "--delete"],
                                  ["--partial-dir=.part", "--delete", "--delete-excluded"],
                                  ["--partial-dir=.part", "-n"], ["--partial-dir=.part/"],
                                  ["--partial-dir=./.part", "-c"]],
                         ids=lambda o: " ".join(o))
def test_partial_dir_basis(rr, opts):
    """--partial-dir: a partial copy is the basis and goes once the file is
    done (or found up to date), the directory with it when empty; the
    implied "-p DIR/" rule keeps the source's DIR out and the
    destination's safe from --delete."""
    rr.check(["-ai", *opts, "src/", "dst/"], partial_tree)
