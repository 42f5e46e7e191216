#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Remote-shell transfers side by side: ursync on both ends against rsync
3.5.0 on both ends, over the interop suite's fake shell (no network, no ssh
crypto: what is measured is the programs). Workloads are generated
deterministically; runs alternate; the median wall time, the ratio to
rsync and the median CPU (user+sys summed over both ends) are printed.

    bench/remote_bench.py [--root /dev/shm/ursync-rbench] [--runs 5] [--ursync build/ursync]
                          [--only R5,R6]

R1  5,000 files x 4 KiB in 50 dirs, -a push into an empty dest
R2  the same again onto an identical dest (nothing to do)
R3  one 256 MiB file, -a push into an empty dest
R4  R1 pulled instead of pushed
R5  a 1 GiB file of periodic data whose copy in the destination differs by
    1,000 scattered 4 KiB blocks: -a push, delta transfer (rsync's default)
R6  (W4 over the wire) the same with random data: nothing repeats, so every
    block has one rolling sum and only the changed regions go as literal data
"""

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FAKESHELL = HERE.parent / "tests" / "interop" / "fakeshell"


def gen_small(top: Path, dirs=50, files=100, size=4096):
    if (top / "done").exists():
        return
    for d in range(dirs):
        p = top / f"d{d:03d}"
        p.mkdir(parents=True, exist_ok=True)
        for f in range(files):
            seed = (d * files + f).to_bytes(4, "little")
            block = (seed * (size // 4 + 1))[:size]
            (p / f"f{f:03d}").write_bytes(block)
    (top / "done").write_text("")


def gen_big(top: Path, size=256 << 20):
    f = top / "big"
    if f.exists() and f.stat().st_size == size:
        return
    top.mkdir(parents=True, exist_ok=True)
    chunk = bytes(range(256)) * 4096
    with open(f, "wb") as out:
        for _ in range(size // len(chunk)):
            out.write(chunk)


def gen_delta(top: Path, size=1 << 30, changes=1000):
    """src/big and basis/big: the same but for `changes` 4 KiB blocks."""
    src, basis = top / "src", top / "basis"
    if (top / "done").exists():
        return
    src.mkdir(parents=True, exist_ok=True)
    basis.mkdir(parents=True, exist_ok=True)
    chunk = bytes((i * 131 + (i >> 9)) % 256 for i in range(1 << 20))
    with open(basis / "big", "wb") as out:
        for i in range(size >> 20):
            out.write(chunk[i % 97:] + chunk[:i % 97])
    data = bytearray((basis / "big").read_bytes())
    step = size // changes
    for k in range(changes):
        off = k * step + (k * 7919) % (step - 4096)
        data[off:off + 4096] = bytes(((k + j) * 13) % 256 for j in range(4096))
    (src / "big").write_bytes(data)
    os.utime(basis / "big", (1500000000, 1500000000))
    (top / "done").write_text("")


def gen_delta_random(top: Path, size=1 << 30, changes=1000):
    """R6's src/big and basis/big: 1 GiB of seeded pseudo-random bytes, the
    source with `changes` 4 KiB blocks replaced at scattered offsets."""
    src, basis = top / "src", top / "basis"
    if (top / "done").exists():
        return
    src.mkdir(parents=True, exist_ok=True)
    basis.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(6)
    with open(basis / "big", "wb") as out:
        for _ in range(size >> 24):
            out.write(rnd.randbytes(1 << 24))
    shutil.copyfile(basis / "big", src / "big")
    with open(src / "big", "r+b") as fh:
        for off in sorted(rnd.randrange(0, size - 4096) for _ in range(changes)):
            fh.seek(off)
            fh.write(rnd.randbytes(4096))
    os.utime(basis / "big", (1500000000, 1500000000))
    (top / "done").write_text("")


def trash(root: Path, p: Path):
    """Move a finished destination aside instead of rm -rf between runs
    (BENCHMARKING.md: deleting on this disk is slow and noisy). A
    destination of one big file is deleted: that is cheap, and copies kept
    in a tmpfs trash would fill memory."""
    if p.exists() and len(list(p.iterdir())) == 1:
        shutil.rmtree(p)
    elif p.exists():
        t = root / "trash"
        t.mkdir(exist_ok=True)
        p.rename(t / f"{p.name}.{time.monotonic_ns()}")


def run(prog, args):
    """Wall time and CPU (user+sys of the client, the fake shell and the
    server: every descendant is waited for before run() returns)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run([prog, "-e", str(FAKESHELL), f"--rsync-path={prog}", *args],
                       capture_output=True)
    dt = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        sys.exit(f"{prog} {args}: exit {p.returncode}: {p.stderr.decode()[:500]}")
    return dt, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/dev/shm/ursync-rbench")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--ursync", default=str(HERE.parent / "build" / "ursync"))
    ap.add_argument("--rsync", default="/usr/bin/rsync")
    ap.add_argument("--only", default="", help="comma-separated workloads, e.g. R5,R6 (default all)")
    a = ap.parse_args()
    root = Path(a.root)
    small, big = root / "small", root / "bigsrc"
    gen_small(small)
    gen_big(big)
    dl = root / "delta"
    gen_delta(dl)
    dr = root / "delta-random"
    gen_delta_random(dr)
    progs = {"ursync": os.path.abspath(a.ursync), "rsync": a.rsync}
    work = {
        "R1 push 5000x4KiB": (small, "push", False),
        "R2 push unchanged": (small, "push", True),
        "R3 push 256 MiB": (big, "push", False),
        "R4 pull 5000x4KiB": (small, "pull", False),
        "R5 push 1GiB delta": (dl / "src", "push", dl / "basis"),
        "R6 push 1GiB rnd delta": (dr / "src", "push", dr / "basis"),
    }
    if a.only:
        keep_w = a.only.split(",")
        work = {k: v for k, v in work.items() if k.split()[0] in keep_w}
    print(f"{'workload':22} {'ursync s':>9} {'rsync s':>9} {'ratio':>6} {'ursync cpu':>11} {'rsync cpu':>10}")
    shutil.rmtree(root / "trash", ignore_errors=True)
    for name, (src, direction, keep) in work.items():
        times = {k: [] for k in progs}
        for i in range(a.runs):
            for k, prog in (list(progs.items()) if i % 2 == 0 else list(progs.items())[::-1]):
                dst = root / f"dst-{k}"
                if isinstance(keep, Path):
                    # one big file: unlinking it is cheap, no trash needed
                    if (dst / "big").exists():
                        (dst / "big").unlink()
                    dst.mkdir(exist_ok=True)
                    # a copy the run may replace (the basis stays intact)
                    subprocess.run(["cp", "--reflink=auto", str(keep / "big"), str(dst / "big")], check=True)
                    os.utime(dst / "big", (1500000000, 1500000000))
                elif keep:
                    if not dst.exists():
                        run(prog, ["-a", f"{src}/", f"localhost:{dst}/"])
                else:
                    trash(root, dst)
                args = (["-a", f"{src}/", f"localhost:{dst}/"] if direction == "push"
                        else ["-a", f"localhost:{src}/", f"{dst}/"])
                times[k].append(run(prog, args))
        u = statistics.median(x[0] for x in times["ursync"])
        r = statistics.median(x[0] for x in times["rsync"])
        uc = statistics.median(x[1] for x in times["ursync"])
        rc = statistics.median(x[1] for x in times["rsync"])
        print(f"{name:22} {u:9.3f} {r:9.3f} {u / r:6.2f} {uc:11.3f} {rc:10.3f}", flush=True)
    shutil.rmtree(root / "trash", ignore_errors=True)


if __name__ == "__main__":
    main()
