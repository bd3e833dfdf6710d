#!/bin/sh
# Entry point of `pnpm bench`. The scale and fan-out rows hold 10,000 sockets in the server process and as many in the
# load generators, so lift the soft descriptor limit to the hard one before Node starts (children inherit it).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
cd "$(dirname "$0")/.." || exit 1
exec node dist/run.js "$@"
