# SPDX-License-Identifier: GPL-3.0-or-later
"""-s/--secluded-args over a remote shell: the server gets its file names
(and the options that could carry any text) on stdin instead of the shell's
command line, so names with spaces, quotes and shell characters need no
escaping, and wildcards in a pulled source are expanded by the server.
Every pair of programs is compared with rsync-to-rsync: exit code, itemize
lines, destination tree and the command line the shell saw."""

import os
import subprocess

import pytest

import remote_harness as rh
from test_remote_extra import listing

PAIRS = [("rsync", "ursync"), ("ursync", "rsync"), ("ursync", "ursync")]
ODD = ["with space", "quote'and\"dq", "dollar$HOME", "semi;colon", "star*name", "-dash"]


def make_tree(top):
    d = top / "src dir"
    d.mkdir(parents=True)
    for i, n in enumerate(ODD):
        (d / n).write_bytes(f"{n}\n".encode())
        (d / (n + ".txt")).write_bytes(b"t" * (i + 1))
    (d / "sub dir").mkdir()
    (d / "sub dir" / "inner file").write_bytes(b"inner\n")
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            os.utime(os.path.join(root, n), (1600000000, 1600000000))


def run(client, server, work, args, env_log):
    (work / "dst").mkdir(exist_ok=True)
    cmd = [rh.URSYNC if client == "ursync" else rh.RSYNC, "-s", *args, "-e",
           str(rh.FAKESHELL), "--rsync-path=" + (rh.URSYNC if server == "ursync" else rh.RSYNC)]
    env = dict(os.environ, FAKESHELL_LOG=str(env_log))
    return subprocess.run(cmd, cwd=work, capture_output=True, timeout=60, env=env)


CASES = {
    "push": lambda w: ["-ai", f"{w}/src dir/", f"localhost:{w}/dst/"],
    "push-exclude": lambda w: ["-ai", "--exclude=with space", f"{w}/src dir/",
                               f"localhost:{w}/dst/"],
    "pull": lambda w: ["-ai", f"localhost:{w}/src dir/", f"{w}/dst/"],
    "pull-glob": lambda w: ["-ai", f"localhost:{w}/src dir/*.txt", f"{w}/dst/"],
    "pull-two-sources": lambda w: ["-ai", f"localhost:{w}/src dir/with space",
                                   f":{w}/src dir/sub dir", f"{w}/dst/"],
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("client,server", PAIRS, ids=lambda p: p)
def test_secluded_args(tmp_path, client, server, case):
    results = {}
    for name, (c, s) in (("ref", ("rsync", "rsync")), ("got", (client, server))):
        work = tmp_path / name
        make_tree(work / "src")
        p = run(c, s, work / "src", CASES[case](work / "src"), work / "shell.log")
        lines = sorted(x.replace(str(work), "$WD")
                       for x in p.stdout.decode(errors="replace").splitlines()
                       if not x.startswith(("sent ", "total size")))
        shell = [x.split(" --server", 1)[1] for x in
                 (work / "shell.log").read_text().splitlines()]
        results[name] = (p.returncode, lines, listing(work / "src" / "dst"), shell,
                         p.stderr.decode(errors="replace"))
    ref, got = results["ref"], results["got"]
    assert got[0] == ref[0] == 0, (got[4], ref[4])
    assert got[1] == ref[1], "itemize lines differ"
    assert got[2] == ref[2], "destination differs"
    assert got[3] == ref[3], "the far command lines differ"
    assert got[2], "nothing was copied"


@pytest.mark.parametrize("mopt", ["--max-size=3", "--bogus"])
@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize("client,server", PAIRS, ids=lambda p: p)
def test_remote_option(tmp_path, client, server, direction, mopt):
    """-M/--remote-option: the word goes to the far side only (a receiving
    server honours --max-size; an unknown option fails there, rsync's way)."""
    results = {}
    for name, (c, s) in (("ref", ("rsync", "rsync")), ("got", (client, server))):
        work = tmp_path / name
        make_tree(work / "src")
        (work / "dst").mkdir()
        ops = ([f"{work}/src/src dir/", f"localhost:{work}/dst/"] if direction == "push"
               else [f"localhost:{work}/src/src dir/", f"{work}/dst/"])
        cmd = [rh.URSYNC if c == "ursync" else rh.RSYNC, "-a", f"-M{mopt}", "-e",
               str(rh.FAKESHELL), "--rsync-path=" + (rh.URSYNC if s == "ursync" else rh.RSYNC),
               *ops]
        p = subprocess.run(cmd, cwd=work, capture_output=True, timeout=60)
        err = sorted(rh.harness.norm_stderr(p.stderr.decode(errors="replace"), str(work)))
        results[name] = (p.returncode, err, listing(work / "dst"))
    assert results["got"] == results["ref"]
    if mopt == "--bogus":
        assert results["got"][0] == 12


@pytest.mark.parametrize("direction", ["push", "pull"])
@pytest.mark.parametrize("client,server", PAIRS, ids=lambda p: p)
def test_no_whole_file_given(tmp_path, client, server, direction):
    """--no-whole-file given explicitly over a remote shell: the default
    there already (rsync sends nothing for it); it was refused with exit 4."""
    results = {}
    for name, (c, s) in (("ref", ("rsync", "rsync")), ("got", (client, server))):
        work = tmp_path / name
        make_tree(work / "src")
        dst = work / "dst"
        dst.mkdir()
        (dst / "with space").write_bytes(b"old\n")
        ops = ([f"{work}/src/src dir/", f"localhost:{dst}/"] if direction == "push"
               else [f"localhost:{work}/src/src dir/", f"{dst}/"])
        cmd = [rh.URSYNC if c == "ursync" else rh.RSYNC, "-ai", "--no-whole-file", "--stats",
               "-e", str(rh.FAKESHELL),
               "--rsync-path=" + (rh.URSYNC if s == "ursync" else rh.RSYNC), *ops]
        p = subprocess.run(cmd, cwd=work, capture_output=True, timeout=60)
        out = p.stdout.decode(errors="replace").splitlines()
        items = sorted(x for x in out if x[:1] in "><ch.*")
        lit = [x for x in out if x.startswith(("Literal data", "Matched data"))]
        results[name] = (p.returncode, items, lit, listing(dst))
    assert results["got"] == results["ref"]
    assert results["got"][0] == 0
