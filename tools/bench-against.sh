#!/usr/bin/env bash
# Times the benchmark trace on this tree and on an older commit, alternately in one run, so both
# see the same host load: `tools/bench-against.sh 7051e3c [rounds]`. Builds the commit in a
# temporary git worktree (removed at the end) and prints each round's `bench trace --breakdown`
# line for both, then the best of each.
set -euo pipefail
rev=${1:?usage: tools/bench-against.sh REV [ROUNDS]}
rounds=${2:-3}
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
old=$(mktemp -d /tmp/vmap-bench-XXXXXX)
trace="$old.trace"
cleanup() { git worktree remove --force "$old" >/dev/null 2>&1 || true; rm -f "$trace"; }
trap cleanup EXIT
git worktree add --detach -q "$old" "$rev"
dotnet build boards/sim -c Release -nologo -v quiet >/dev/null
dotnet build "$old/boards/sim" -c Release -nologo -v quiet >/dev/null
new_dll=boards/sim/bin/Release/net10.0/vmap-sim.dll
old_dll="$old/boards/sim/bin/Release/net10.0/vmap-sim.dll" # run from its own tree: it reads its own boards/
dotnet "$new_dll" gen-trace --out "$trace" >/dev/null
for i in $(seq "$rounds"); do
    echo "round $i, $rev:"; (cd "$old" && dotnet "$old_dll" bench trace --trace "$trace" --breakdown | grep '^breakdown')
    echo "round $i, this tree:"; dotnet "$new_dll" bench trace --trace "$trace" --breakdown | grep '^breakdown'
done
