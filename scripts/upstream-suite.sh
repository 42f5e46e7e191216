#!/bin/bash
# Run rsync 3.5.0's own test suite (runtests.py) with ursync as the binary
# under test, and with upstream's own build of the same tree as the control.
#
# usage: scripts/upstream-suite.sh RSYNC_SRC [OUT]
#
#   RSYNC_SRC  an rsync v3.5.0 source tree (git archive of tag v3.5.0, or
#              Debian's source package); only read, never written.
#   OUT        result file, one line per test and run (default:
#              $WORK/results.tsv). Lines: RUN<TAB>TEST<TAB>RESULT<TAB>
#              FIRST-ERROR<TAB>VERDICT, where RUN is
#              {ursync,rsync}-{pipe,tcp}, RESULT is PASS/FAIL/SKIP/XFAIL,
#              FIRST-ERROR the first error line the binary printed (or the
#              skip reason, or "TIMEOUT ..."), VERDICT the test's own last
#              line (its failure message). OUT.differs lists the tests whose
#              result differs between ursync and rsync, per transport, and
#              OUT.logs/RUN.log holds each run's full runtests.py output.
#
# Environment (all optional):
#   URSYNC        ursync binary (default: build/ursync of this repository,
#                 built with `make` when missing)
#   WORK          scratch directory (default: /tmp/ursync-upstream-suite);
#                 holds the copy of RSYNC_SRC, its build and the raw logs
#   RUNS          which runs, in order (default:
#                 "rsync-pipe ursync-pipe rsync-tcp ursync-tcp")
#   TEST_TIMEOUT  per-test timeout in seconds (default: 120)
#   JOBS          runtests.py -j (default: 1; the suite has timing-sensitive
#                 race tests, and a shared machine makes them flaky)
#   LONG_TIMEOUT  runtests.py gives `hardlinks*` and `variety` a fixed 600 s
#                 whatever --timeout says; set this to change that in the
#                 scratch copy (default: keep 600)
#   RACE_TIMEOUT  passed as --race-timeout when set (weakens race oracles)
#   TCP_ALL       1: the tcp runs run every test; default: --daemon-tests-only
#                 (the other tests never see the transport)
#   TESTS         space-separated test names/globs (default: all)
#   REBUILD       1: recopy and rebuild the upstream tree
#   CONFIGURE_ARGS extra ./configure arguments for the upstream build
#                 (--disable-md2man is always given; without a bundled
#                 zlib/ or popt/, as in Debian's tree, the system ones are
#                 used: zlib1g-dev, libpopt-dev)
#
# Needs root (the suite's ownership, device and chroot tests expect it),
# python3, a C toolchain, and rsync's build dependencies (see
# docs/upstream-suite.md). Output: OUT, OUT.differs, OUT.logs/.
set -eu

usage() {
	if [ "${1:-2}" = 0 ]; then
		sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
	else
		echo "usage: $0 RSYNC_SRC [OUT]   (--help for details)" >&2
	fi
	exit "${1:-2}"
}

case "${1:-}" in -h|--help) usage 0 ;; '') usage 2 ;; esac
[ $# -le 2 ] || usage 2

die() { echo "upstream-suite: $*" >&2; exit 1; }

abspath() { (cd "$1" 2>/dev/null && pwd -P); }

SRC=$(abspath "$1") || die "no such directory: $1"
[ -f "$SRC/runtests.py" ] && [ -d "$SRC/testsuite" ] && [ -f "$SRC/configure.ac" ] ||
	die "$SRC does not look like an rsync source tree (runtests.py, testsuite/, configure.ac)"
grep -q '3\.5\.0' "$SRC/version.h" 2>/dev/null || grep -q '3\.5\.0' "$SRC/NEWS.md" 2>/dev/null ||
	echo "upstream-suite: warning: $SRC may not be rsync 3.5.0" >&2
[ "$(id -u)" = 0 ] || die "run as root (the suite's ownership and chroot tests need it)"
command -v python3 >/dev/null || die "python3 is needed"

REPO=$(abspath "$(dirname "$0")/..")
WORK=${WORK:-/tmp/ursync-upstream-suite}
case "$WORK" in /*) ;; *) WORK=$PWD/$WORK ;; esac
case "$WORK/" in "$SRC"/*) die "WORK ($WORK) must be outside RSYNC_SRC" ;; esac
mkdir -p "$WORK/logs"
OUT=${2:-$WORK/results.tsv}
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac
RUNS=${RUNS:-rsync-pipe ursync-pipe rsync-tcp ursync-tcp}
TEST_TIMEOUT=${TEST_TIMEOUT:-120}
JOBS=${JOBS:-1}

# --- the ursync binary -------------------------------------------------------
if [ -z "${URSYNC:-}" ]; then
	URSYNC=$REPO/build/ursync
	if [ ! -x "$URSYNC" ]; then
		echo "upstream-suite: building ursync (make -C $REPO)"
		make -C "$REPO" >"$WORK/logs/ursync-build.log" 2>&1 ||
			die "ursync build failed, see $WORK/logs/ursync-build.log"
	fi
fi
URSYNC=$(cd "$(dirname "$URSYNC")" && pwd -P)/$(basename "$URSYNC")
[ -x "$URSYNC" ] || die "no ursync binary at $URSYNC"

# --- scratch copy of the upstream tree, built with its test helpers ----------
B=$WORK/rsync-src
if [ "${REBUILD:-0}" = 1 ] || [ ! -f "$B/.upstream-suite-src" ] ||
	[ "$(cat "$B/.upstream-suite-src")" != "$SRC" ]; then
	rm -rf "$B"
	mkdir -p "$B"
	# tar, not cp -a: leaves no trace in SRC (not even atimes matter) and
	# copies a read-only tree too.
	(cd "$SRC" && tar -cf - --exclude=./testtmp .) | (cd "$B" && tar -xf -)
	echo "$SRC" >"$B/.upstream-suite-src"
fi
if [ ! -x "$B/rsync" ] || [ ! -x "$B/tls" ] || [ ! -f "$B/.upstream-suite-built" ]; then
	echo "upstream-suite: building upstream rsync and its test helpers in $B"
	(
		cd "$B"
		if [ ! -f Makefile ]; then
			conf=(--disable-md2man)
			# Debian's repacked tree (+ds1) has no bundled zlib/ or popt/.
			# configure still wants their dummy.in placeholders.
			for d in zlib popt; do
				if [ ! -f "$d/$d.h" ]; then
					conf+=(--with-included-$d=no)
					mkdir -p "$d"
					[ -f "$d/dummy.in" ] ||
						echo "placeholder made by upstream-suite.sh" >"$d/dummy.in"
				fi
			done
			# shellcheck disable=SC2206
			conf+=(${CONFIGURE_ARGS:-})
			./configure "${conf[@]}" >"$WORK/logs/configure.log" 2>&1
		fi
		make -j"$(nproc)" check-progs >"$WORK/logs/make.log" 2>&1
	) || die "upstream build failed, see $WORK/logs/configure.log and make.log"
	touch "$B/.upstream-suite-built"
fi
CONTROL=$B/rsync
# runtests.py's fixed timeout for the slow tests, in the scratch copy only.
long=${LONG_TIMEOUT:-600}
case "$long" in *[!0-9]*|'') die "LONG_TIMEOUT must be a number of seconds" ;; esac
sed -i -E "s/timeout = [0-9]+ if \('hardlinks' in testbase/timeout = $long if ('hardlinks' in testbase/" \
	"$B/runtests.py"
grep -q "timeout = $long if ('hardlinks' in testbase" "$B/runtests.py" ||
	echo "upstream-suite: warning: could not set the long timeout in runtests.py" >&2

# --- the runs ------------------------------------------------------------------
tmp_out=$OUT.tmp
mkdir -p "$OUT.logs"
{
	echo "# upstream-suite $(date -u +%Y-%m-%dT%H:%M:%SZ) src=$SRC"
	echo "# control: $("$CONTROL" --version | head -n 1)"
	echo "# ursync:  $URSYNC: $("$URSYNC" --version 2>&1 | head -n 1)" \
		"(repository at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
	echo "# timeout=${TEST_TIMEOUT}s (hardlinks*, variety: ${long}s) jobs=$JOBS race_timeout=${RACE_TIMEOUT:-default}" \
		"tcp=$([ "${TCP_ALL:-0}" = 1 ] && echo all || echo daemon-tests-only)"
} >"$tmp_out"

for run in $RUNS; do
	case "$run" in
	rsync-*) bin=$CONTROL ;;
	ursync-*) bin=$URSYNC ;;
	*) die "unknown run '$run' (rsync-pipe, rsync-tcp, ursync-pipe, ursync-tcp)" ;;
	esac
	args=(--rsync-bin="$bin" --timeout="$TEST_TIMEOUT" -j "$JOBS")
	case "$run" in
	*-pipe) ;;
	*-tcp)
		args+=(--use-tcp)
		[ "${TCP_ALL:-0}" = 1 ] || args+=(--daemon-tests-only) ;;
	*) die "unknown run '$run'" ;;
	esac
	[ -z "${RACE_TIMEOUT:-}" ] || args+=(--race-timeout="$RACE_TIMEOUT")
	if [ -n "${TESTS:-}" ]; then
		set -f # the names are globs for runtests.py, not for this shell
		# shellcheck disable=SC2206
		args+=(${TESTS})
		set +f
	fi
	log=$OUT.logs/$run.log
	echo "upstream-suite: $run: runtests.py ${args[*]} (log: $log)"
	start=$(date +%s)
	rm -rf "$B/testtmp"
	rc=0
	(cd "$B" && python3 ./runtests.py "${args[@]}") >"$log" 2>&1 </dev/null || rc=$?
	echo "upstream-suite: $run: runtests.py exit $rc after $(($(date +%s) - start))s"
	python3 - "$run" "$log" >>"$tmp_out" <<'PY'
import re, sys
run, path = sys.argv[1], sys.argv[2]
text = open(path, errors='replace').read().split('\n')
res_re = re.compile(r'^(PASS|FAIL|SKIP|XFAIL)\s{2,}(\S+)(?: \((.*)\))?$')
err_re = re.compile(r'^(u?rsync(: | error:| warning:)|ursync: |TIMEOUT: |'
                    r'[A-Za-z_.]*(Error|Exception): |.*\(code \d+\) at |.*\(code \d+\) \[)')
block = []
def clean(s):
    return ' '.join(s.replace('\t', ' ').split())[:300]
for line in text:
    m = res_re.match(line)
    if not m:
        block.append(line)
        continue
    result, name, reason = m.group(1), m.group(2), m.group(3) or ''
    first, verdict = '', ''
    if result == 'SKIP':
        first = reason
    elif result in ('FAIL', 'XFAIL'):
        body = block
        if '----- %s log follows' % name in body:
            body = body[body.index('----- %s log follows' % name) + 1:]
        if '----- %s log ends' % name in body:
            body = body[:body.index('----- %s log ends' % name)]
        lines = [l for l in body if l.strip()]
        timeout = [l for l in lines if l.startswith('TIMEOUT: ')]
        errs = [l for l in lines if err_re.match(l)]
        verdict = lines[-1] if lines else ''
        if timeout:
            first = timeout[0]
            verdict = lines[-2] if len(lines) > 1 else ''
        elif errs:
            first = errs[0]
        else:
            first = verdict
    print('\t'.join([run, name, result, clean(first), clean(verdict)]))
    block = []
PY
done

# --- differences and summary ------------------------------------------------------
mv "$tmp_out" "$OUT"
python3 - "$OUT" <<'PY'
import sys, collections
out = sys.argv[1]
res = collections.defaultdict(dict)
first = {}
runs = []
for line in open(out):
    if line.startswith('#') or not line.strip():
        continue
    f = line.rstrip('\n').split('\t')
    run, name, result = f[0], f[1], f[2]
    if run not in runs:
        runs.append(run)
    res[run][name] = result
    first[(run, name)] = f[3] if len(f) > 3 else ''
with open(out + '.differs', 'w') as d:
    for t in ('pipe', 'tcp'):
        u, r = res.get('ursync-' + t), res.get('rsync-' + t)
        if not u or not r:
            continue
        for name in sorted(set(u) | set(r)):
            a, b = r.get(name, '-'), u.get(name, '-')
            if a != b:
                d.write('\t'.join([t, name, 'rsync=' + a, 'ursync=' + b,
                                   first.get(('ursync-' + t, name), '')]) + '\n')
print('upstream-suite: results in %s, differences in %s.differs' % (out, out))
print('%-12s %6s %6s %6s %6s %6s' % ('run', 'total', 'pass', 'fail', 'skip', 'xfail'))
for run in runs:
    c = collections.Counter(res[run].values())
    print('%-12s %6d %6d %6d %6d %6d' % (run, len(res[run]), c['PASS'], c['FAIL'],
                                          c['SKIP'], c['XFAIL']))
PY
