# SPDX-License-Identifier: GPL-3.0-or-later
# How the cmd_cases rows of tests/unit/test_rsh.c were recorded: run rsync
# 3.5.0 with a fake remote shell (argv.sh here, installed as /tmp/argv.sh
# and as ssh, rsh, remsh, ssh2 in /tmp/h3bin) for every command line below,
# and print each recorded argv (and -s stdin words) as a C initializer.
#   install -m755 argv.sh /tmp/argv.sh; mkdir -p /tmp/h3bin /tmp/h3t
#   for n in ssh rsh remsh ssh2; do ln -sf /tmp/argv.sh /tmp/h3bin/$n; done
#   python3 record.py > rows.inc
import subprocess, shlex, os, sys
env = {k: v for k, v in os.environ.items() if not k.startswith('RSYNC_')}
env['PATH'] = '/tmp/h3bin:' + env['PATH']
os.chdir('/tmp/h3t')
open('/tmp/h3t/ff','w').write('src\n')
combos = [
 "", "-a", "-av", "-avz", "-aH", "-aiv", "-a --delete", "-a --delete-before", "-a --delete-during",
 "-a --delete-delay", "-a --delete-after", "-a --delete-excluded", "-a --del", "-d --delete",
 "-a --delete --max-delete=5", "-a --max-delete=0", "-a --force --ignore-errors",
 "-n -a", "-c", "-u", "-a --inplace", "-a --partial", "-P", "--partial-dir=x", "--partial-dir=./a//b/",
 "--delay-updates", "-z --compress-level=3", "--zl=5", "-zz", "--zc=zstd", "--zc=zlib", "--old-compress",
 "-z --zc=none", "--checksum-choice=md5", "--cc=xxh128,md5", "--protocol=30 -a", "--protocol=31 -a",
 "--no-inc-recursive -a", "-R -a", "-R --no-implied-dirs", "--numeric-ids", "--timeout=5", "-x", "-xx",
 "-k", "-K", "-L", "--safe-links", "--copy-unsafe-links", "-O", "-J", "-aO", "-aJ", "--chmod=u+x", "-E", "-pE",
 "--existing", "--ignore-existing", "--remove-source-files", "-b", "-b --suffix=.bak", "--suffix=.x -b",
 "--backup-dir=bk", "--backup-dir=./bk --suffix=.s", "-b --backup-dir=my\\ dir", "--max-size=1M", "--min-size=10k",
 "--max-size=1.5G --min-size=1", "-m", "-am", "--exclude=*.o", "-F", "-FF", "-C", "--files-from=ff",
 "--files-from=-", "--files-from=ff --from0", "--files-from=host:ff", "-s -av", "--old-args -a", "--old-args --old-args -a",
 "-W", "--no-W", "-I", "--size-only", "-S", "-S --inplace", "-A", "-X", "-XX", "-U", "-UU", "--open-noatime",
 "-D", "--devices", "--specials", "-a --no-specials", "-a --no-devices", "-o -g", "-t", "-i", "-ii",
 "--out-format=%n", "--out-format=%i", "--out-format=%o", "-ii --out-format=%i", "--info=name", "-v --info=name2",
 "--info=progress2", "--info=stats2,del", "--info=ALL", "--info=NONE", "--progress", "--stats", "-vvv", "-vvvvvvvvvvv",
 "-q", "-h", "--modify-window=2", "-@-1", "--checksum-seed=5", "--temp-dir=/t\\ x", "-T tmp", "--mkpath",
 "--ignore-missing-args", "--delete-missing-args -r", "--list-only", "--qsort -r", "--fsync", "--preallocate",
 "--write-devices", "--copy-devices", "-y", "-yy", "--compare-dest=c", "--link-dest=a --link-dest=b", "--copy-dest=x",
 "--super", "--fake-super", "--usermap=a:b", "--groupmap=c:d", "--chown=u:g", "--bwlimit=100", "-B 2048",
 "--append", "--append-verify", "--max-alloc=2G", "--skip-compress=gz", "--trust-sender", "--stderr=all",
 "--stderr=client", "-q --stderr=all", "-M--fake-super", "-M --log-file=/x\\ y", "--old-args -M--foo=a\\ b",
 "--blocking-io", "--no-blocking-io", "-4", "-6", "--rsync-path=/opt/rsync", "--rsync-path=sudo\\ rsync",
 "-e /tmp/argv.sh\\ -p\\ 22", "-e '/tmp/argv.sh -l bob'", "-e '/tmp/argv.sh \"a b\" c''d \"e\"\"f\"'",
 "--iconv=utf8,latin1", "--no-r -a --delete -d", "-r --no-i-r", "--dirs", "-d --list-only",
 "--executability", "-N",
 "--partial-dir=a/../b", "--partial-dir=../x", "--partial-dir=/a/../b", "--partial-dir=a/b/../../c",
 "--partial-dir=x/./y", "--partial-dir=.//x", "--partial-dir=a/..", "--partial-dir=/..", "--partial-dir=a/../../b",
 "--partial-dir=./", "--partial-dir=..", "--partial-dir=x\\ y",
 "-s -M--foo", "-s --iconv=utf8,latin1 -a", "-s -a --delete --backup-dir=a\\ b", "-s --files-from=ff",
 "--info=all2", "--info=all,name0", "--info=backup,copy,del,misc,mount", "--info=all,copy2,del2",
 "--info=name0", "-v --info=name0", "--info=all0,stats", "--info=skip2,remove",
 "-am --delete-before", "-a --delete-after", "-a --delay-updates", "-a --delete-delay", "--qsort -a",
 "-R --no-implied-dirs --protocol=29", "-b -O", "-b --backup-dir=x --suffix=~", "--backup-dir=x --suffix=",
 "--zc=lz4", "--zc=auto", "-z --zc=zlibx", "--new-compress", "-z --zc=auto",
 "--old-args --backup-dir=a\\ b", "--old-args --old-args --backup-dir=a\\ b", "--max-delete=-5 -r --delete",
 "--log-file=x", "--stats -v", "--delete-after --delete-excluded -r", "--ignore-missing-args --delete-missing-args -r",
 "-S --inplace --no-W", "-S --no-W", "-n -i", "--out-format=%n%L -v", "--out-format=%i -v", "-q -v",
 "--temp-dir=~/t", "--backup-dir=~/b", "--chmod=a+r --perms", "--exclude=a --include=b --filter=-_c",
 "--existing --ignore-existing", "-H -H", "-HH", "-A -A", "--numeric-ids --no-numeric-ids",
 "-M--a -M--b=c*d", "-M-x", "--copy-as=u", "--stop-after=5", "--sockopts=x", "--address=1.2.3.4",
 "-@ 3", "-@ -1 --protocol=30", "--modify-window=-1", "--msgs2stderr", "--no-msgs2stderr", "-q --no-msgs2stderr",
 "--munge-links", "--no-munge-links", "--mkpath -a", "-8", "--remove-sent-files", "-P -a --inplace",
 "--cc=auto", "--checksum-choice=xxh3,auto", "--usermap=a:b,c:d --groupmap=*:g", "--chown=:g", "--chown=u",
]
operands = [("src", "host:dst"), ("host:src", "dst")]
extra = [
 ["-a", "src", "u@host:dst"], ["-a", "host:a", "host:b", "dst"], ["-a", "host:a", ":b", "dst"],
 ["-a", "host:a", ":", "dst"], ["-a", "host:", "dst"], ["-a", "src", "host:"],
 ["-a", "host:a b", "dst"], ["-a", "host:it's $HOME & `x`;|<>(){}!#*?[]~\\", "dst"],
 ["-a", "src", "host:it's $HOME *?[] \\* \\a"], ["-a", "host:~", "dst"], ["-a", "host:~user/x", "dst"],
 ["-a", "host:~user", "dst"], ["-a", "src", "host:~x"], ["-aR", "host:~user/x", "dst"], ["-aR", "host:~a/./b", "dst"],
 ["-a", "--trust-sender", "host:~user", "dst"], ["-a", "--old-args", "host:~user", "dst"],
 ["-a", "host:-x", "dst"], ["-a", "src", "host:-x"], ["-s", "host:-x", "dst"], ["-s", "host:a b", ":", "dst"],
 ["--old-args", "host:a b", "dst"], ["--old-args", "--old-args", "host:a b*", "dst"],
 ["-a", "[::1]:src", "dst"], ["-a", "me@[fe80::1]:src", "dst"], ["-a", "a@b@host:src", "dst"],
 ["-a", "host:src"], ["host:a", ":b"], ["-a", "src", "src2", "host:dst"], ["-4", "-e", "ssh", "src", "host:d"],
 ["-6", "-e", "/tmp/h3bin/ssh", "src", "host:d"], ["-4", "-e", "ssh2", "src", "host:d"],
 ["-e", "rsh", "src", "host:d"], ["-e", "/tmp/h3bin/remsh", "src", "host:d"], ["-e", "rsh", "--no-blocking-io", "src", "host:d"],
 ["--rsync-path=rsync -v", "src", "u@host:d"], ["-e", "ssh -l x", "src", "u@host:d"], ["-e", "ssh -l", "src", "u@host:d"], ["-e", "ssh -l -x", "src", "u@host:d"], ["-e", "ssh", "host::mod", "d"], ["-e", "ssh -l x", "u@host::mod/p", "d"], ["-e", "ssh", "u@host::mod/p", "d"], ["-e", "ssh", "src", "rsync://u@host:999/m/p"], ["-4", "-e", "/tmp/argv.sh", "src", "host:d"], ["-e", "ssh  a'b c'  \"d ''e\"", "src", "host:d"], ["-e", "ssh ''", "src", "host:d"], ["-e", "ssh \"\"\"\"x", "src", "host:d"], ["-e", "ssh a\\b \"c\\d\"", "src", "host:d"], ["-e", " ssh\tx", "src", "host:d"],
 ["--protocol=29", "-a", "src", "host:d"], ["-a", "--files-from=host:ff", "host:src", "dst"],
 ["-a", "--files-from=:ff", "host:src", "dst"], ["-a", "--files-from=host:ff", "--from0", "src", "host:dst"],
 ["-a", "--files-from=ff", "host:src", "dst"], ["-r", "--files-from=ff", "-R", "host:src", "dst"],
 ["--files-from=ff", "--no-R", "host:src", "dst"],
 ["-a", "src", "host:a b"], ["-s", "src", "host:a b"], ["-s", "host:", "dst"], ["-s", "host:~user", "dst"],
 ["-a", "host:a\\*b", "dst"], ["-a", "host:a\\", "dst"], ["-a", "host:a\\b", "dst"], ["-a", "host:a\tb", "dst"],
 ["--old-args", "host:~user", "dst"], ["--old-args", "src", "host:a b"], ["-a", "host:--x", "dst"],
 ["-a", "src", "host:~/x"], ["-a", "host:~/x", "dst"], ["-a", "--files-from=h:ff", "h:~u", "dst"],
 ["-a", "h:a", ":-b", ":~c", "dst"], ["-4", "-e", "/tmp/h3bin/ssh -o x", "src", "u@h:d"],
 ["-6", "-e", "ssh", "h::m", "d"], ["--rsync-path=", "src", "h:d"], ["-e", "ssh -l u2", "src", "u@h::m"],
 ["-e", "ssh -l", "u@h::m", "d"], ["-e", "ssh -l -v", "u@h::m", "d"], ["-e", "ssh -l x", "h::m", "d"],
]
def run(args, defrsh=True):
    for f in ('/tmp/argv.out', '/tmp/argv.in'):
        try: os.unlink(f)
        except FileNotFoundError: pass
    cmd = ['rsync'] + (['-e', '/tmp/argv.sh'] if defrsh and '-e' not in args else []) + args
    p = subprocess.run(cmd, env=env, capture_output=True, timeout=10)
    out = open('/tmp/argv.out', 'rb').read().decode().split('\n')[:-1] if os.path.exists('/tmp/argv.out') else None
    sin = open('/tmp/argv.in', 'rb').read() if os.path.exists('/tmp/argv.in') else b''
    return p.returncode, out, sin, p.stderr.decode()
def c(s): return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n').replace('\t','\\t') + '"'
cases = []
for combo in combos:
    for ops in operands:
        cases.append(shlex.split(combo) + list(ops))
cases += extra
rows = []
for a in cases:
    rc, out, sin, err = run(a)
    if out is None:
        sys.stderr.write("NO RUN %r rc=%d %s\n" % (a, rc, err.strip()[:200])); continue
    prog = '/tmp/argv.sh' if '-e' not in a else a[a.index('-e')+1].split()[0]
    argvv = (['-e', '/tmp/argv.sh'] if '-e' not in a else []) + a
    sec = [x.decode() for x in sin.split(b'\0')] if sin and ('-s' in a or '-sav' in a) else []
    # sec ends with '', '' (terminator) -> keep words up to the empty terminator
    if sec:
        sec = sec[:sec.index('')]
    rows.append("\t{{%s, NULL},\n\t {%s, NULL},\n\t {%s}},\n" % (", ".join(c(x) for x in argvv),
        ", ".join(c(x) for x in [prog] + out), ", ".join([c(x) for x in sec] + ["NULL"])))
sys.stdout.write("".join(rows))
