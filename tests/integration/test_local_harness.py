# SPDX-License-Identifier: GPL-3.0-or-later
"""The harness's own normalisation: what it masks must be exactly what
legitimately differs, so a wrong mask cannot hide a real difference."""

import os

from harness import Entry, diff_trees, norm_stderr, norm_stdout, snapshot

WD = "/tmp/ursync-it-x/01-run-rsync"


def test_stderr_program_name_and_tail():
    ref = norm_stderr('rsync: [sender] link_stat "/tmp/ursync-it-x/01-run-rsync/nonexist" failed: '
                      "No such file or directory (2)\n"
                      "rsync error: some files/attrs were not transferred (see previous errors) "
                      "(code 23) at main.c(1394) [sender=3.5.0]\n", WD)
    ours = norm_stderr('ursync: [sender] link_stat "/w/ours/nonexist" failed: '
                       "No such file or directory (2)\n"
                       "ursync error: some files/attrs were not transferred (see previous errors) "
                       "(code 23) at engine/sender.c(77) [sender=0.1.0]\n", "/w/ours")
    assert ref == ours
    assert ref[1].endswith("(code 23)")
    # ursync may leave out the source position.
    assert norm_stderr("ursync error: some files/attrs were not transferred (see previous errors) "
                       "(code 23) [client=0.1.0]", "/x") == ref[1:]
    # The text itself is still compared.
    assert norm_stderr("ursync: [sender] link_stat failed: Permission denied (13)", "/x") != ref[:1]


def test_stderr_temp_names():
    a = norm_stderr('rsync: [receiver] write failed on "/w/dst/.big.Xy12Ab": No space left', "/w")
    b = norm_stderr('ursync: [receiver] write failed on "/v/dst/.big.qq99ZZ": No space left', "/v")
    assert a == b


def test_stdout_masks_only_transport_counts():
    out = ("sending incremental file list\nfile\n\n"
           "sent 1,234 bytes  received 35 bytes  2,538.00 bytes/sec\n"
           "total size is 5,242,882  speedup is 1.00\n")
    other = out.replace("1,234", "999").replace("2,538.00", "1.00").replace("is 1.00", "is 7.77")
    assert norm_stdout(out, WD) == norm_stdout(other, WD)
    changed_total = out.replace("5,242,882", "5,242,883")
    assert norm_stdout(out, WD) != norm_stdout(changed_total, WD)


def test_stdout_progress_final_state():
    a = "big\n\r   32,768   0%    0.00kB/s    0:00:00  \r  5,242,880 100%    1.21GB/s    0:00:00 (xfr#1, to-chk=2/4)\n"
    b = "big\n\r  5,242,880 100%  900.00MB/s    0:00:01 (xfr#1, to-chk=2/4)\n"
    assert norm_stdout(a, WD) == norm_stdout(b, WD)
    c = b.replace("to-chk=2/4", "to-chk=1/4")
    assert norm_stdout(a, WD) != norm_stdout(c, WD)


def test_stats_counts_compared_timings_ignored():
    a = ("Number of files: 4 (reg: 2, dir: 2)\nLiteral data: 19 bytes\n"
         "File list generation time: 0.001 seconds\nTotal bytes sent: 5,244,362\n")
    b = a.replace("0.001", "0.020").replace("5,244,362", "12")
    assert norm_stdout(a, WD) == norm_stdout(b, WD)
    assert norm_stdout(a, WD) != norm_stdout(a.replace("19 bytes", "20 bytes"), WD)


def test_heap_statistics_dropped():
    a = ("Number of files: 1\n\nrsync[11100] (sender) heap statistics:\n"
         "  arena:         409600   (bytes from sbrk)\n  keepcost:       85744   (bytes in releasable chunk)\n"
         "\nTotal file size: 1 bytes\n")
    assert norm_stdout(a, WD) == ["Number of files: 1", "", "Total file size: 1 bytes"]


def test_snapshot_sees_every_difference(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "f").write_bytes(b"same")
        os.utime(d / "f", ns=(10**18, 10**18))
        os.symlink("f", d / "l")
        os.utime(d / "l", ns=(10**18, 10**18), follow_symlinks=False)
        os.utime(d, ns=(10**18, 10**18))
    since = 2 * 10**18
    assert diff_trees(snapshot(a, since), snapshot(b, since)) == []
    os.chmod(b / "f", 0o600)
    os.utime(b / "f", ns=(10**18, 10**18 + 1))  # one nanosecond
    d = diff_trees(snapshot(a, since), snapshot(b, since))
    assert len(d) == 1 and "mode" in d[0] and "mtime" in d[0]
    e = snapshot(a, 0)["f"]
    assert isinstance(e, Entry) and e.mtime == "NOW"
