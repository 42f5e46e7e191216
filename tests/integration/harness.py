# SPDX-License-Identifier: GPL-3.0-or-later
"""Run rsync 3.5.0 and ursync on identical copies of one input tree and
compare what they did: exit code, stdout, stderr and the resulting trees.

The tree is built once by a setup function into a seed directory, copied
byte-exactly (cp -a: ns mtimes, modes, owners, links, devices) into two
work directories, and each program runs with cwd = its work directory and
the same arguments, so relative operands ("src/ dst/") mean the same thing.
"""

import hashlib
import os

import pytest
import random
import re
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
URSYNC = os.environ.get("URSYNC") or str(REPO / "build" / "ursync")
RSYNC = shutil.which("rsync") or "rsync"
KEEP = bool(os.environ.get("URSYNC_KEEP"))
TIMEOUT = float(os.environ.get("URSYNC_TIMEOUT", "20"))

NOBODY = 65534
NOGROUP = 65534

# Seed entries not given an explicit time get one this far in the past,
# keeping their differences to the nanosecond (see _age_seed).
SEED_EPOCH_NS = 1_500_000_000 * 10**9
# Explicit times used by the setup helpers: well in the past, with ns parts.
T0 = 1_600_000_000 * 10**9 + 123_456_789
T1 = 1_650_000_000 * 10**9 + 987_654_321

TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9]{6}$")

# --------------------------------------------------------------------------
# Building input trees


class Tree:
    """Helpers a setup function uses to write into the seed directory."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def p(self, rel) -> Path:
        return self.root / rel

    @property
    def outside(self) -> Path:
        """A directory outside both work directories at one absolute path
        they share, for absolute symlinks that must read the same in both."""
        d = self.root.parent / "outside"
        d.mkdir(exist_ok=True)
        os.chmod(d, 0o755)
        return d

    def _parent(self, rel):
        self.p(rel).parent.mkdir(parents=True, exist_ok=True)

    def file(self, rel, data=b"", mode=0o644, mtime=None, uid=None, gid=None, size=None, seed=None):
        """A regular file. data may be bytes or str; size with seed gives
        deterministic pseudo-random content of that size."""
        self._parent(rel)
        if size is not None:
            data = random.Random(seed if seed is not None else str(rel)).randbytes(size)
        if isinstance(data, str):
            data = data.encode()
        path = self.p(rel)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        self._own(path, uid, gid)
        if mtime is not None:
            self.mtime(rel, mtime)
        return path

    def sparse(self, rel, size, chunks=(), mode=0o644, mtime=None):
        """A file of size bytes that is a hole except for (offset, bytes) chunks."""
        self._parent(rel)
        path = self.p(rel)
        with open(path, "wb") as f:
            f.truncate(size)
            for off, data in chunks:
                f.seek(off)
                f.write(data)
        os.chmod(path, mode)
        if mtime is not None:
            self.mtime(rel, mtime)
        return path

    def dir(self, rel, mode=0o755, mtime=None, uid=None, gid=None):
        path = self.p(rel)
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, mode)
        self._own(path, uid, gid)
        if mtime is not None:
            self.mtime(rel, mtime)
        return path

    def symlink(self, rel, target, mtime=None, uid=None, gid=None):
        self._parent(rel)
        path = self.p(rel)
        os.symlink(target, path)
        if uid is not None or gid is not None:
            os.lchown(path, -1 if uid is None else uid, -1 if gid is None else gid)
        if mtime is not None:
            self.mtime(rel, mtime)
        return path

    def hardlink(self, rel, existing):
        self._parent(rel)
        os.link(self.p(existing), self.p(rel))

    def fifo(self, rel, mode=0o644, mtime=None):
        self._parent(rel)
        os.mkfifo(self.p(rel), mode)
        os.chmod(self.p(rel), mode)
        if mtime is not None:
            self.mtime(rel, mtime)

    def device(self, rel, kind, major, minor, mode=0o600, mtime=None):
        self._parent(rel)
        fmt = stat.S_IFCHR if kind == "c" else stat.S_IFBLK
        os.mknod(self.p(rel), fmt | mode, os.makedev(major, minor))
        os.chmod(self.p(rel), mode)
        if mtime is not None:
            self.mtime(rel, mtime)

    def mtime(self, rel, ns, atime_ns=None):
        os.utime(self.p(rel), ns=(ns if atime_ns is None else atime_ns, ns), follow_symlinks=False)

    def chmod(self, rel, mode):
        os.chmod(self.p(rel), mode)

    def chown(self, rel, uid=-1, gid=-1):
        os.lchown(self.p(rel), uid, gid)

    def rsync(self, *args):
        """Run the reference rsync inside the seed (e.g. to prime a dest)."""
        r = subprocess.run([RSYNC, *args], cwd=self.root, capture_output=True, timeout=TIMEOUT)
        assert r.returncode == 0, f"priming rsync {args} failed: {r.stderr!r}"

    def remove(self, rel):
        path = self.p(rel)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()

    @staticmethod
    def _own(path, uid, gid):
        if uid is not None or gid is not None:
            os.lchown(path, -1 if uid is None else uid, -1 if gid is None else gid)


def basic_tree(t: Tree, top="src"):
    """A small tree with a bit of everything regular: files of several
    sizes, nested and empty directories, a symlink, odd modes."""
    t.dir(top)
    t.file(f"{top}/a.txt", "alpha\n")
    t.file(f"{top}/empty", b"")
    t.file(f"{top}/one", b"1")
    t.file(f"{top}/exec.sh", "#!/bin/sh\necho hi\n", mode=0o755)
    t.file(f"{top}/private", "secret\n", mode=0o600)
    t.file(f"{top}/sub/b.bin", size=4096)
    t.file(f"{top}/sub/deeper/c.bin", size=100_000)
    t.dir(f"{top}/emptydir")
    t.dir(f"{top}/sub/emptydir2", mode=0o750)
    t.symlink(f"{top}/link-to-a", "a.txt")
    t.mtime(f"{top}/a.txt", T0)
    t.mtime(f"{top}/sub", T1)


# --------------------------------------------------------------------------
# Snapshots


@dataclass(frozen=True)
class Entry:
    kind: str  # f d l p c b s
    mode: int  # the 12 permission bits
    uid: int
    gid: int
    mtime: object  # ns, or "NOW" when set by the run
    size: int = 0
    digest: str = ""
    target: str = ""
    rdev: int = 0
    nlink: int = 1
    atime: object = None

    def describe(self):
        parts = [self.kind, f"mode={self.mode:04o}", f"uid={self.uid}", f"gid={self.gid}",
                 f"mtime={self.mtime}"]
        if self.kind == "f":
            parts += [f"size={self.size}", f"sha={self.digest[:12]}", f"nlink={self.nlink}"]
        if self.kind == "l":
            parts.append(f"->{self.target!r}")
        if self.kind in "cb":
            parts.append(f"rdev={os.major(self.rdev)},{os.minor(self.rdev)}")
        if self.atime is not None:
            parts.append(f"atime={self.atime}")
        return " ".join(parts)


def _kind(m):
    for test, k in ((stat.S_ISREG, "f"), (stat.S_ISDIR, "d"), (stat.S_ISLNK, "l"),
                    (stat.S_ISFIFO, "p"), (stat.S_ISCHR, "c"), (stat.S_ISBLK, "b"),
                    (stat.S_ISSOCK, "s")):
        if test(m):
            return k
    return "?"


def _digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def snapshot(root: Path, since_ns: int, atime_under=()):
    """Every path under root (root itself as "."), keyed by its relative path
    as bytes-safe str. Times at or after since_ns are "NOW": the run set them
    to the current time, and two runs cannot agree on that to the ns."""
    root = Path(root)
    out = {}

    def tm(ns):
        return "NOW" if ns >= since_ns else ns

    def add(rel, path):
        st = os.lstat(path)
        k = _kind(st.st_mode)
        kw = {}
        if k == "f":
            kw.update(size=st.st_size, digest=_digest(path), nlink=st.st_nlink)
        elif k == "l":
            kw["target"] = os.readlink(path)
        elif k in "cb":
            kw["rdev"] = st.st_rdev
        if any(rel == a or rel.startswith(a.rstrip("/") + "/") for a in atime_under):
            kw["atime"] = tm(st.st_atime_ns)
        out[rel] = Entry(k, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, tm(st.st_mtime_ns), **kw)

    add(".", root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            add(os.path.relpath(path, root), path)
    return out


def diff_trees(a, b, name_a="rsync", name_b="ursync", limit=40):
    """Human-readable differences between two snapshots (empty if equal)."""
    lines = []
    for rel in sorted(set(a) | set(b)):
        ea, eb = a.get(rel), b.get(rel)
        if ea == eb:
            continue
        if ea is None:
            lines.append(f"  {rel!r}: only in {name_b}: {eb.describe()}")
        elif eb is None:
            lines.append(f"  {rel!r}: only in {name_a}: {ea.describe()}")
        else:
            fields = [f for f in Entry.__dataclass_fields__ if getattr(ea, f) != getattr(eb, f)]
            lines.append(f"  {rel!r}: differs in {','.join(fields)}:\n"
                         f"      {name_a}: {ea.describe()}\n      {name_b}: {eb.describe()}")
    if len(lines) > limit:
        lines = lines[:limit] + [f"  ... and {len(lines) - limit} more"]
    return lines


# --------------------------------------------------------------------------
# Output normalisation

_TAIL = re.compile(r"( at [\w./-]+\(\d+\))? \[[\w-]+=[^\]]*\]\s*$")
_PROG = re.compile(r"^u?rsync(?=( error| warning)?:)")
_RATE = re.compile(r"\s+[\d.,]+[kMGTP]?B/s\s+\d+:\d\d:\d\d")
_PROGRESS = re.compile(r"^\s*[\d,.]+[KMGTP]?\s+\d+%")
_SENT = re.compile(r"^sent .* bytes\s+received .* bytes\s+.* bytes/sec$")
_SPEEDUP = re.compile(r"^(total size is \S+)\s+speedup is \S+(.*)$")
_IGNORED_STATS = ("File list size:", "File list generation time:", "File list transfer time:",
                  "Total bytes sent:", "Total bytes received:")


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


_HEAP = re.compile(r"^\S+\[\d+\] \([\w ]+\) heap statistics:$")
_HEAP_BODY = re.compile(r"^\s+\w+:\s+\d+\s+\(.*\)$")


def norm_stdout(text: str, wd: str) -> list:
    """stdout lines with what legitimately differs masked: the work directory,
    byte counts of the transport, speedup, transfer rates and times, and
    intermediate progress updates (only each line's final state is kept).
    The per-process malloc "heap statistics" blocks that rsync prints with
    --stats at -vv are dropped: they describe rsync's own allocator."""
    lines = []
    in_heap = False
    for line in text.split("\n"):
        if _HEAP.match(line):
            in_heap = True
            continue
        if in_heap:
            if _HEAP_BODY.match(line):
                continue
            in_heap = False
            if not line:
                continue
        if "\r" in line:
            segs = [s for s in line.split("\r") if s.strip()]
            line = segs[-1] if segs else ""
        line = line.replace(wd, "$WD")
        if _SENT.match(line):
            line = "sent # bytes  received # bytes  # bytes/sec"
        m = _SPEEDUP.match(line)
        if m:
            line = m.group(1) + "  speedup is #" + m.group(2)
        if line.startswith(_IGNORED_STATS):
            line = line.split(":")[0] + ": #"
        if _PROGRESS.match(line):
            line = _RATE.sub(" RATE TIME", line)
        lines.append(line)
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def norm_stderr(text: str, wd: str) -> list:
    """stderr lines with the program name, the work directory, the
    "at FILE(LINE) [role=version]" tail and temporary names normalised."""
    lines = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        line = line.replace(wd, "$WD")
        line = _PROG.sub("rsync", line)
        line = re.sub(r"\bursync\b", "rsync", line)  # "This ursync does not support ..."
        line = _TAIL.sub("", line)
        line = re.sub(r"(/|\"|^|\s)(\.[^/\s\"]+)\.[A-Za-z0-9]{6}(?=[\"\s:/]|$)", r"\1\2.XXXXXX", line)
        lines.append(line)
    return lines


# --------------------------------------------------------------------------
# Running


@dataclass
class Result:
    prog: str
    wd: Path
    args: list
    rc: int
    out: str
    err: str
    tree: dict = field(default_factory=dict)
    seconds: float = 0.0
    before: dict = field(default_factory=dict)  # ursync's tree before the run (refusal checks)

    @property
    def stdout_lines(self):
        return norm_stdout(self.out, str(self.wd))

    @property
    def stderr_lines(self):
        return norm_stderr(self.err, str(self.wd))

    def summary(self):
        return (f"--- {self.prog} rc={self.rc} ({self.seconds:.2f}s) in {self.wd}\n"
                f"stdout:\n{self.out}\nstderr:\n{self.err}")


def _age_seed(root: Path, since_ns: int):
    """Move every time the setup left at "now" into the past so that later
    "now" times set by the runs stand apart from anything in the input.
    The earliest such time lands on SEED_EPOCH_NS exactly and the others
    keep their distance from it to the nanosecond, so a setup that takes
    under a second has all of them in one whole second, every time (rsync
    compares whole seconds by default, so this must not vary between
    runs). Returns {path: (atime, mtime)} for every entry, to restore after
    copying (reading a file to copy it moves its atime)."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames + [None]:
            path = os.path.join(dirpath, name) if name else dirpath
            st = os.lstat(path)
            entries.append((path, st.st_atime_ns, st.st_mtime_ns))
    recent = [t for _, at, mt in entries for t in (at, mt) if t >= since_ns]
    shift = (min(recent) - SEED_EPOCH_NS) if recent else 0
    times = {}
    for path, at, mt in entries:
        if at >= since_ns or mt >= since_ns:
            at = at - shift if at >= since_ns else at
            mt = mt - shift if mt >= since_ns else mt
            os.utime(path, ns=(at, mt), follow_symlinks=False)
        times[os.path.relpath(path, root)] = (at, mt)
    return times


def _restore_times(root: Path, times):
    for rel, (at, mt) in times.items():
        os.utime(os.path.join(root, rel), ns=(at, mt), follow_symlinks=False)


def copy_tree(src: Path, dst: Path):
    subprocess.run(["cp", "-a", "--", str(src), str(dst)], check=True)


def _detect_atimes(args):
    for a in args:
        if a == "--atimes" or (re.match(r"^-[A-Za-z]+$", a) and "U" in a):
            return True
    return False


def _dest_operand(args):
    ops = [a for a in args if not a.startswith("-")]
    return ops[-1] if ops else None


class Workspace:
    """A directory for one test's seed and work directories, readable by
    nobody so that tests can run a program as an unprivileged user."""

    def __init__(self, base: Path):
        self.base = Path(base)
        self.mounts = []
        self.counter = 0

    def new_dir(self, name):
        self.counter += 1
        d = self.base / f"{self.counter:02d}-{name}"
        d.mkdir()
        os.chmod(d, 0o755)
        return d

    def cleanup(self):
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", str(m)], capture_output=True)
        self.mounts.clear()


def run_prog(prog_path, args, wd, env, user=None, stdin=None, umask=None):
    cmd = [prog_path, *args]
    if user is not None:
        uid, gid = user
        cmd = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--", *cmd]
    start = time.monotonic()
    try:
        r = subprocess.run(cmd, cwd=wd, env=env, capture_output=True, timeout=TIMEOUT,
                           stdin=subprocess.DEVNULL if stdin is None else stdin,
                           preexec_fn=None if umask is None else (lambda: os.umask(umask)))
        rc, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "TIMEOUT", e.stdout or b"", (e.stderr or b"") + b"\n[harness: timed out]"
    except OSError as e:
        rc, out, err = f"EXEC-FAILED({e})", b"", str(e).encode()
    return rc, _text(out), _text(err), time.monotonic() - start


def base_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RSYNC_", "URSYNC")) and k not in ("LANG", "LANGUAGE")
           and not k.startswith("LC_")}
    env["LC_ALL"] = "C.UTF-8"
    env["TZ"] = "UTC"
    env["HOME"] = "/nonexistent"
    env.setdefault("PATH", "/usr/bin:/bin")
    if extra:
        env.update(extra)
    return env


# Options ursync parses but refuses (exit 4) until their issue lands. A
# scenario using one checks the refusal instead of comparing with rsync:
# ursync must exit 4 naming the option and leave its work tree untouched.
# Implementing an option means deleting it here, which turns the full
# comparison with rsync 3.5.0 back on.
NOT_YET_LONG = {
    "--sparse", "--preallocate", "--keep-dirlinks",
    "--munge-links", "--copy-devices", "--delay-updates",
}
# Short forms, as letters inside a bundle (-aH).
NOT_YET_SHORT = set("SK")
# Short options that take a value end the bundle ("-essh").
_VALUE_SHORT = set("eBTMf@")  # "f" takes a rule


# Long options whose value may come as the next word.
_VALUE_LONG = {
    "--filter", "--exclude", "--include", "--exclude-from", "--include-from",
    "--files-from", "--out-format", "--log-format", "--chmod", "--temp-dir",
    "--partial-dir", "--backup-dir", "--suffix", "--max-delete", "--min-size",
    "--max-size", "--modify-window", "--rsh", "--rsync-path", "--info", "--debug",
    "--chown", "--usermap", "--groupmap", "--block-size", "--compress-level",
}


def not_yet_option(args):
    """The first refused option in args, or None."""
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--":
            break
        if a.startswith("--"):
            name = a.split("=", 1)[0]
            if name in NOT_YET_LONG:
                return name
            skip = "=" not in a and name in _VALUE_LONG
        elif a.startswith("-") and len(a) > 1:
            for i, ch in enumerate(a[1:]):
                if ch in NOT_YET_SHORT:
                    return "-" + ch
                if ch in _VALUE_SHORT:
                    skip = i == len(a) - 2  # the value is the next word
                    break
    return None


class Runner:
    """run_both(): the core helper, bound to one test's workspace and one
    fastio backend of ursync."""

    def __init__(self, ws: Workspace, io: str):
        self.ws = ws
        self.io = io

    def run_both(self, args, setup=None, *, prepare=None, user=None, env=None,
                 atime_under=None, umask=None, name="run"):
        """Build the input once with setup(Tree), copy it into two work
        directories, run rsync and ursync there with args, and return
        (rsync Result, ursync Result). prepare(workdir) runs in each work
        directory after the copy (e.g. to mount something). user is a
        (uid, gid) to run both programs as; umask the umask they start with."""
        args = [str(a) for a in args]
        seed = self.ws.new_dir(f"{name}-seed")
        since = time.time_ns() - 1_000_000_000
        if setup is not None:
            setup(Tree(seed))
        times = _age_seed(seed, since)
        if (self.ws.base / "outside").exists():
            _age_seed(self.ws.base / "outside", since)
        if atime_under is None:
            dst = _dest_operand(args)
            atime_under = (os.path.normpath(dst),) if dst and _detect_atimes(args) else ()

        results = []
        for prog, path, extra in (("rsync", RSYNC, None),
                                  ("ursync", URSYNC, {"URSYNC_IO": self.io} if self.io != "auto" else None)):
            wd = self.ws.new_dir(f"{name}-{prog}")
            os.rmdir(wd)
            copy_tree(seed, wd)
            _restore_times(wd, times)
            if prepare is not None:
                prepare(wd, self.ws)
            e = base_env(env)
            if extra:
                e.update(extra)
            t_start = time.time_ns() - 50_000_000  # coarse kernel clock slack
            before = {}
            if prog == "ursync" and not_yet_option(args):
                # Reading the files moves atimes; put them back after looking.
                before = snapshot(wd, t_start, atime_under)
                _restore_times(wd, times)
            rc, out, err, secs = run_prog(path, args, wd, e, user=user, umask=umask)
            res = Result(prog, wd, args, rc, out, err, seconds=secs)
            res.tree = snapshot(wd, t_start, atime_under)
            res.before = before
            results.append(res)
        self.ws.cleanup()
        return results[0], results[1]

    def check(self, args, setup=None, *, stdout="sorted", stderr="text", tree=True, masks=(),
              **kw):
        """run_both() and assert_same(); returns (rsync, ursync). For an
        option ursync does not do yet (NOT_YET_*), checks the refusal and
        skips the comparison."""
        ref, ours = self.run_both(args, setup, **kw)
        opt = not_yet_option([str(a) for a in args])
        # A usage error (rsync's exit 1) is checked first by both programs,
        # supported option or not, so it is always compared in full.
        if opt is not None and ref.rc != 1:
            assert_refused(ours)
            pytest.skip(f"{opt} not supported yet (exit 4 and untouched tree verified)")
        assert_same(ref, ours, stdout=stdout, stderr=stderr, tree=tree, masks=masks)
        return ref, ours


def assert_refused(ours: "Result"):
    """ursync refused an unsupported option the way it promises to."""
    err = _text(ours.err) if isinstance(ours.err, bytes) else ours.err
    assert ours.rc == 4, f"expected exit 4 for an unsupported option, got {ours.rc}\n{ours.summary()}"
    assert "is not supported yet" in err, ours.summary()
    diffs = diff_trees(ours.before, ours.tree, "before", "after")
    assert not diffs, "an unsupported option changed the tree:\n" + "\n".join(diffs)


def all_backends_fixture():
    """An io_backend fixture for a test module that also runs every
    scenario with all ops on the io_uring ring (URSYNC_IO=uring), skipped
    where io_uring is unavailable: `io_backend = all_backends_fixture()`."""
    @pytest.fixture(params=["auto", "posix", "uring"], ids=["io-auto", "io-posix", "io-uring"])
    def io_backend(request, ursync_bin):
        if request.param == "uring":
            # a listing of an empty directory with io_uring required
            with tempfile.TemporaryDirectory() as empty:
                probe = subprocess.run([ursync_bin, "--io-uring", empty + "/"],
                                       capture_output=True)
            if probe.returncode != 0:
                pytest.skip("io_uring is not available here")
        return request.param
    return io_backend


def temp_leftovers(res: Result):
    return sorted(p for p in res.tree if TEMP_NAME.match(os.path.basename(p)))


def assert_same(ref: Result, ours: Result, *, stdout="sorted", stderr="text", tree=True,
                masks=()):
    """stdout: "sorted" (lines compared as a sorted list), "exact" (in
    order), "ignore". stderr: "text" (normalised lines compared as sorted
    lists), "class" (both empty or both non-empty), "ignore". masks:
    (regex, replacement) pairs applied to each stdout line first, for
    fields such as %t that legitimately differ."""
    problems = []
    if ref.rc != ours.rc:
        problems.append(f"exit code: rsync {ref.rc}, ursync {ours.rc}")
    if stdout != "ignore":
        a, b = ref.stdout_lines, ours.stdout_lines
        for pat, repl in masks:
            a = [re.sub(pat, repl, x) for x in a]
            b = [re.sub(pat, repl, x) for x in b]
        if stdout == "sorted":
            a, b = sorted(a), sorted(b)
        if a != b:
            problems.append("stdout differs:\n" + _side_by_side(a, b))
    if stderr != "ignore":
        a, b = ref.stderr_lines, ours.stderr_lines
        if stderr == "class":
            if bool(a) != bool(b):
                problems.append("stderr: one program wrote errors, the other did not:\n"
                                + _side_by_side(a, b))
        elif sorted(a) != sorted(b):
            problems.append("stderr differs:\n" + _side_by_side(sorted(a), sorted(b)))
    if tree:
        d = diff_trees(ref.tree, ours.tree)
        if d:
            problems.append("trees differ:\n" + "\n".join(d))
    left = [p for p in temp_leftovers(ours) if p not in ref.tree]
    if left:
        problems.append(f"ursync left temporary files: {left}")
    if problems:
        raise AssertionError("ursync differs from rsync for args " + " ".join(ref.args) + "\n"
                             + "\n".join(problems) + "\n" + ref.summary() + "\n" + ours.summary())


def _side_by_side(a, b, limit=60):
    import difflib
    d = list(difflib.unified_diff(a, b, "rsync", "ursync", lineterm="", n=1))
    if len(d) > limit:
        d = d[:limit] + [f"... {len(d) - limit} more diff lines"]
    return "\n".join("    " + x for x in d) if d else "    (same lines, different order)"
