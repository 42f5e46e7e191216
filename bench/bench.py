#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Side-by-side benchmarks: ursync (each I/O backend), rsync 3.5.0 and cp -a.

    bench/bench.py [--root DIR] [--runs N] [--only W1,W2] [--ursync PATH] [--strace]

Workloads (generated once, deterministically, under ROOT/data):
  W1 small-initial   50,000 files x 4 KiB in 500 dirs, -a into an empty dest
  W2 small-nochange  W1 again onto an identical dest
  W3 large-initial   one 1 GiB file, -a into an empty dest
  W4 large-delta     1 GiB basis, source differs by 1,000 scattered 4 KiB blocks,
                     -a --no-whole-file (the destination starts as the basis)
  W6 many-files      1,000,000 empty files in 1,000 dirs, -a -n into an empty dest

Commands alternate (A B C A B C ...) and each is run --runs times after one
warm-up; we print the median wall time, median CPU (user+sys), peak RSS
summed over the process tree (sampled from /proc), and the ratio to rsync's
median from the same run. --strace adds one extra run per command under
`strace -f -c` and prints syscalls per file. Destinations are renamed into a
trash directory, never removed between runs (see ../shared/BENCHMARKING.md).
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

WORKLOADS = {
    "W1": dict(desc="50,000 x 4 KiB in 500 dirs, -a, empty dest", data="small",
               args=["-a"], prime=False, files=50_000),
    "W2": dict(desc="W1 onto an identical dest", data="small", args=["-a"], prime=True,
               files=50_000),
    "W3": dict(desc="one 1 GiB file, -a, empty dest", data="large", args=["-a"], prime=False,
               files=1),
    "W4": dict(desc="1 GiB, 1,000 scattered 4 KiB blocks changed, -a --no-whole-file",
               data="delta", args=["-a", "--no-whole-file"], prime="basis", files=1),
    "W6": dict(desc="1,000,000 empty files in 1,000 dirs, -a -n, empty dest", data="many",
               args=["-a", "-n"], prime=False, files=1_000_000),
}


def gen_small(path):
    rnd = random.Random(1)
    for d in range(500):
        dd = os.path.join(path, f"d{d:03d}")
        os.makedirs(dd, exist_ok=True)
        for f in range(100):
            with open(os.path.join(dd, f"f{f:03d}"), "wb") as fh:
                fh.write(rnd.randbytes(4096))


def gen_large(path):
    os.makedirs(path, exist_ok=True)
    rnd = random.Random(3)
    block = rnd.randbytes(1 << 20)
    with open(os.path.join(path, "big.img"), "wb") as fh:
        for i in range(1024):
            # Vary each MiB a little so nothing dedups or compresses to zero.
            fh.write(i.to_bytes(8, "little") + block[8:])


def gen_many(path):
    for d in range(1000):
        dd = os.path.join(path, f"d{d:04d}")
        os.makedirs(dd, exist_ok=True)
        for f in range(1000):
            open(os.path.join(dd, f"e{f:04d}"), "wb").close()


def gen_delta(path):
    """src/big.img and basis/big.img: the same 1 GiB but for 1,000 4 KiB
    blocks at scattered offsets."""
    gen_large(os.path.join(path, "basis"))
    os.makedirs(os.path.join(path, "src"), exist_ok=True)
    rnd = random.Random(4)
    size = 1 << 30
    offs = sorted(rnd.randrange(0, size - 4096) for _ in range(1000))
    shutil.copyfile(os.path.join(path, "basis", "big.img"), os.path.join(path, "src", "big.img"))
    with open(os.path.join(path, "src", "big.img"), "r+b") as fh:
        for off in offs:
            fh.seek(off)
            fh.write(rnd.randbytes(4096))
    os.utime(os.path.join(path, "basis", "big.img"), (1500000000, 1500000000))


GENERATORS = {"small": gen_small, "large": gen_large, "many": gen_many, "delta": gen_delta}


def ensure_data(root, kind):
    path = os.path.join(root, "data", kind)
    done = path + ".done"
    if not os.path.exists(done):
        if os.path.exists(path):
            os.rename(path, os.path.join(root, "trash", f"data-{kind}-{time.time_ns()}"))
        print(f"generating {kind} data in {path} ...", flush=True)
        GENERATORS[kind](path)
        open(done, "w").close()
    return path


class Sampler:
    """Peak of the summed RSS of a process and all its descendants."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = 0
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def tree(self):
        kids = {}
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open(f"/proc/{p}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            kids.setdefault(ppid, []).append(int(p))
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(kids.get(p, []))
        return out

    def run(self):
        while not self.stop:
            total = 0
            for p in self.tree():
                try:
                    with open(f"/proc/{p}/status") as fh:
                        for line in fh:
                            if line.startswith("VmRSS:"):
                                total += int(line.split()[1])
                except OSError:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.005)

    def finish(self):
        self.stop = True
        self.t.join()
        return self.peak


def run_once(cmd, env):
    t0 = time.monotonic()
    r0 = os.times()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    s = Sampler(p.pid)
    _, err = p.communicate()
    wall = time.monotonic() - t0
    rss = s.finish()
    r1 = os.times()
    cpu = (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system)
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {err.decode(errors='replace')[:400]}")
    return wall, cpu, rss


def count_syscalls(cmd, env, tmp):
    out = os.path.join(tmp, f"strace-{time.time_ns()}.txt")
    subprocess.run(["strace", "-f", "-c", "-o", out, *cmd], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    total = 0
    with open(out) as fh:
        for line in fh:
            parts = line.split()
            # "% time  seconds  usecs/call  calls  [errors]  total"
            if parts and parts[-1] == "total":
                total = int(parts[3])
    return total


def commands(ursync):
    """(label, argv-prefix, extra env) for everything we compare."""
    cmds = [("rsync", ["rsync"], {})]
    cmds.append(("ursync", [ursync], {}))
    cmds.append(("ursync-posix", [ursync], {"URSYNC_IO": "posix"}))
    # every op the kernel has on the ring (--io-uring's routing), for the
    # syscall counts of docs/fastio.md
    cmds.append(("ursync-uring", [ursync], {"URSYNC_IO": "uring"}))
    cmds.append(("cp -a", None, {}))
    return cmds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default="/dev/shm/ursync-bench")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="W1,W2,W3,W6")
    ap.add_argument("--ursync", default=os.path.join(REPO, "build", "ursync"))
    ap.add_argument("--strace", action="store_true")
    a = ap.parse_args()

    os.makedirs(os.path.join(a.root, "trash"), exist_ok=True)
    ursync = os.path.abspath(a.ursync)
    env0 = dict(os.environ)
    fs = subprocess.run(["stat", "-f", "-c", "%T", a.root], capture_output=True, text=True).stdout.strip()
    print(f"root {a.root} ({fs}), {a.runs} runs each, alternating; ursync {ursync}")

    for w in a.only.split(","):
        spec = WORKLOADS[w]
        src = ensure_data(a.root, spec["data"]) + "/"
        basis = None
        if spec["prime"] == "basis":
            basis = os.path.join(src, "basis", "big.img")
            src = os.path.join(src, "src") + "/"
        dst = os.path.join(a.root, "dst")
        results = {}
        cmds = commands(ursync)
        if "-n" in spec["args"] or basis:
            cmds = [c for c in cmds if c[1] is not None]  # cp has no dry run, no delta

        def argv(c):
            if c[1] is None:
                return ["cp", "-a", src + ".", dst]
            return [*c[1], *spec["args"], src, dst + "/"]

        def prepare():
            # W4 starts from a fresh copy of the basis (one file: cheap to
            # delete). W2 keeps one identical destination for every run; the
            # others start empty (the old one goes to the trash, not rm -rf).
            if basis:
                if os.path.exists(dst):
                    shutil.rmtree(dst)
                os.makedirs(dst)
                subprocess.run(["cp", "--reflink=auto", basis, os.path.join(dst, "big.img")],
                               check=True)
                os.utime(os.path.join(dst, "big.img"), (1500000000, 1500000000))
                return
            if spec["prime"]:
                if not os.path.exists(dst + ".primed"):
                    if os.path.exists(dst):
                        os.rename(dst, os.path.join(a.root, "trash", f"dst-{time.time_ns()}"))
                    subprocess.run(["rsync", "-a", src, dst + "/"], check=True)
                    open(dst + ".primed", "w").close()
                return
            if os.path.exists(dst + ".primed"):
                os.remove(dst + ".primed")
            if os.path.exists(dst):
                # One big file costs nothing to delete, and 1 GiB copies
                # kept in a tmpfs trash would fill memory.
                if spec["data"] == "large":
                    shutil.rmtree(dst)
                else:
                    os.rename(dst, os.path.join(a.root, "trash", f"dst-{time.time_ns()}"))

        for warm in (True, False):
            for i in range(1 if warm else a.runs):
                for c in cmds:
                    prepare()
                    if c[1] is None:
                        os.makedirs(dst, exist_ok=True)
                    env = dict(env0, **c[2])
                    if warm and i == 0 and c is cmds[0]:
                        print(f"{w}: warming up", flush=True)
                    r = run_once(argv(c), env)
                    if not warm:
                        results.setdefault(c[0], []).append(r)
        print(f"\n{w}: {spec['desc']}")
        print(f"  {'command':<14}{'wall s':>9}{'cpu s':>9}{'peak RSS MiB':>14}{'x rsync':>9}")
        base = statistics.median(x[0] for x in results["rsync"])
        for c in cmds:
            rs = results[c[0]]
            wall = statistics.median(x[0] for x in rs)
            cpu = statistics.median(x[1] for x in rs)
            rss = statistics.median(x[2] for x in rs) / 1024
            print(f"  {c[0]:<14}{wall:>9.3f}{cpu:>9.3f}{rss:>14.1f}{wall / base:>9.2f}")
        if a.strace:
            for c in cmds:
                prepare()
                if c[1] is None:
                    os.makedirs(dst, exist_ok=True)
                n = count_syscalls(argv(c), dict(env0, **c[2]), os.path.join(a.root, "trash"))
                print(f"  syscalls/file {c[0]:<14}{n / spec['files']:>8.1f}  ({n} total)")
    print(f"\nremoving {a.root}/trash")
    shutil.rmtree(os.path.join(a.root, "trash"), ignore_errors=True)


if __name__ == "__main__":
    main()
