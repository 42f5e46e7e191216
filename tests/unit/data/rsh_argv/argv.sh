#!/bin/sh
# Fake remote shell: records its arguments (one a line) and what it reads on stdin.
: > /tmp/argv.out
for a in "$@"; do printf '%s\n' "$a" >> /tmp/argv.out; done
timeout 0.3 cat > /tmp/argv.in 2>/dev/null
exit 1
