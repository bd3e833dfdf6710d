#!/bin/sh
# Entry point of `pnpm chaos`. The full form holds 10,000 sockets in the attacker and as many in the target,
# so lift the soft descriptor limit to the hard one before Node starts (the targets inherit it).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
cd "$(dirname "$0")/.." || exit 1
exec node dist/run.js "$@"
