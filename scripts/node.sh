#!/bin/sh
# Runs node with the flags the server wants on this Node version (npm start, npm run repl):
# on Node 22 and 23, AsyncLocalStorage (request ids in every log line, src/request-context.ts)
# costs about a fifth of the throughput through async_hooks unless AsyncContextFrame is on;
# from Node 24 it is the default.
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 24 ]; then exec node --experimental-async-context-frame "$@"; fi
exec node "$@"
