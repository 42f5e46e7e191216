# SPDX-License-Identifier: GPL-3.0-or-later
"""-z over a remote shell: --skip-compress and --compress-level with each
--zc, for every pair of programs, against rsync-to-rsync.

What rsync 3.5.0 does, measured (docs/protocol.md, "Compressed token
streams"): --skip-compress is parsed and passed to the server, and no file
is compressed at another level because of it (the per-file level code in
its token.c is compiled out: no codec can change level mid-stream). A
360 KB text file named text.gz costs the same bytes as text.txt, with or
without --skip-compress=gz/txt or =*. So the checks are: the destination
is the source, the data bytes (Total bytes sent on a push, received on a
pull, as the client counts them) are within a small factor of
rsync-to-rsync's, and the compressible files were compressed whatever
their names (a sender that applied the skip level would send them whole).
"""

import os
import random
import subprocess

import pytest

import remote_harness as rh

PAIRS = [("rsync", "ursync"), ("ursync", "rsync"), ("ursync", "ursync")]

_ref_cache = {}


def text(n, seed):
    rnd = random.Random(seed)
    words = ["".join(rnd.choice("abcdefghij") for _ in range(5)) for _ in range(200)]
    out = " ".join(rnd.choice(words) for _ in range(n // 6 + 1)).encode()
    return out[:n]


COMPRESSIBLE = {  # named like files rsync's default list would skip, and not
    "text.txt": text(200_000, 1),
    "text.gz": text(200_000, 2),
    "sub/Photo.JPG": text(100_000, 3),
    "sub/song.mp3": text(100_000, 4),
}
INCOMPRESSIBLE = {"noise.bin": random.Random(5).randbytes(50_000)}


def make_src(top):
    for rel, data in {**COMPRESSIBLE, **INCOMPRESSIBLE}.items():
        p = top / "src" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    (top / "dst").mkdir(parents=True, exist_ok=True)


def contents(top):
    out = {}
    for root, _, files in os.walk(top):
        for n in files:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, top)] = f.read()
    return out


def stat_bytes(out, what):
    for line in out.splitlines():
        if line.startswith(f"Total bytes {what}:"):
            return int(line.split(":")[1].split()[0].replace(",", ""))
    return None


def run(client, server, direction, work, opts):
    make_src(work)
    cmd = [rh.URSYNC if client == "ursync" else rh.RSYNC, "-r", "--stats", *opts,
           "-e", rh.FAKESHELL, "--rsync-path=" + (rh.URSYNC if server == "ursync" else rh.RSYNC)]
    if direction == "push":
        cmd += [f"{work}/src/", f"localhost:{work}/dst/"]
    else:
        cmd += [f"localhost:{work}/src/", f"{work}/dst/"]
    p = subprocess.run(cmd, capture_output=True, timeout=60)
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 0, f"{client}->{server} {opts}: exit {p.returncode}\n{err}"
    assert contents(work / "dst") == contents(work / "src"), f"{client}->{server} {opts}: dst differs"
    n = stat_bytes(p.stdout.decode(), "sent" if direction == "push" else "received")
    assert n is not None, p.stdout.decode(errors="replace")
    return n


def reference(tmp_path_factory, direction, opts):
    key = (direction, tuple(opts))
    if key not in _ref_cache:
        work = tmp_path_factory.mktemp("ref")
        _ref_cache[key] = run("rsync", "rsync", direction, work, opts)
    return _ref_cache[key]


def check_close(got, ref, what):
    # the same codec at the same level: the same stream give or take the
    # file list and the checksums; 10% and 2 KB of slack
    assert got <= ref * 1.10 + 2048 and got >= ref * 0.90 - 2048, \
        f"{what}: {got} data bytes vs rsync-to-rsync's {ref}"


RAW = sum(len(d) for d in COMPRESSIBLE.values()) + sum(len(d) for d in INCOMPRESSIBLE.values())
COMPRESSED_MAX = sum(len(d) for d in INCOMPRESSIBLE.values()) + 0.6 * sum(
    len(d) for d in COMPRESSIBLE.values())


@pytest.mark.parametrize("skip", [None, "txt", "gz/txt/jpg/mp3", "*"], ids=lambda s: f"skip={s}")
@pytest.mark.parametrize("zc", ["zlib", "zstd"])
@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize("client,server", PAIRS, ids=["rsync-ursync", "ursync-rsync", "ursync-ursync"])
def test_skip_compress(tmp_path, tmp_path_factory, client, server, direction, zc, skip):
    """--skip-compress (rsync's default list when none is given) changes
    nothing on the wire, as in rsync 3.5.0."""
    opts = ["-z", f"--zc={zc}"] + ([f"--skip-compress={skip}"] if skip else [])
    ref = reference(tmp_path_factory, direction, opts)
    got = run(client, server, direction, tmp_path, opts)
    check_close(got, ref, f"{client}->{server} {direction} {opts}")
    # .gz, .JPG, .mp3 and the listed suffixes were compressed all the same
    assert ref < COMPRESSED_MAX and got < COMPRESSED_MAX, (got, ref, COMPRESSED_MAX)


LEVELS = {
    "zlib": [0, 1, 6, 9, 12],  # 0 turns compression off; 12 is clamped to 9
    "zlibx": [0, 1, 9],
    "zstd": [-5, 0, 1, 3, 19, 22],  # 0 means the default (3)
    "lz4": [0, 1],  # lz4 has no levels: both are lz4's one
}
LEVEL_CELLS = [(zc, lv) for zc, lvs in LEVELS.items() for lv in lvs]


@pytest.mark.parametrize("zc,level", LEVEL_CELLS, ids=[f"{z}-{lv}" for z, lv in LEVEL_CELLS])
@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize("client,server", PAIRS, ids=["rsync-ursync", "ursync-rsync", "ursync-ursync"])
def test_compress_level(tmp_path, tmp_path_factory, client, server, direction, zc, level):
    """--compress-level with each codec: the sender compresses at the
    level rsync's would (the server is told the level on a pull)."""
    opts = ["-z", f"--zc={zc}", f"--compress-level={level}"]
    ref = reference(tmp_path_factory, direction, opts)
    got = run(client, server, direction, tmp_path, opts)
    check_close(got, ref, f"{client}->{server} {direction} {opts}")
    if level == 0 and zc in ("zlib", "zlibx"):
        assert ref > RAW * 0.95, "rsync: level 0 turns zlib off"
    else:
        assert ref < COMPRESSED_MAX
