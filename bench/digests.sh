#!/usr/bin/env bash
# Checks that a change moved no result digest: runs the default scenario, the small scenarios of
# hocon/scenarios and fleet-100k on one and five partitions (Release builds) and compares each run's
# resultDigest with the one pinned below. Prints one line per run and exits 1 if any differs.
#   bash bench/digests.sh            # everything (about 4 minutes on 2 cores)
#   bash bench/digests.sh quick      # the default and small scenarios only (about a minute)
# A change that means to move a digest updates the pin here, and says why in its commit.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d /tmp/amisim-digests-XXXX)
dotnet build -c Release "$root/src/Host" -v q -nologo >/dev/null || { echo "build failed"; exit 2; }
dotnet build -c Release "$root/bench/AmiSim.Bench" -v q -nologo >/dev/null || { echo "bench build failed"; exit 2; }
host="$root/src/Host/bin/Release/net10.0/amisim"
bench="$root/bench/AmiSim.Bench/bin/Release/net10.0/amisim-bench"
failed=0
check() { # name expected-prefix digest
  if [[ "$3" == "$2"* ]]; then echo "same    $1 ${3:0:16}"; else echo "MOVED   $1 expected $2, got ${3:-nothing}"; failed=1; fi
}
run() { # name expected-prefix [run args]
  local name=$1 expected=$2; shift 2
  "$host" run --out "$out/$name" "$@" >"$out/$name.log" 2>&1
  check "$name" "$expected" "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['resultDigest'])" "$out/$name/report.json" 2>/dev/null)"
}
run default e546f233
for s in small:dd2f6137 bricking-canary:31fcf856 operator-pause:8829ad18 head-end-crash:cc7ba4f2 multicast:1e53a115 \
         unicast:0bee208a night-window:f6c64853 metering-interval:fbe42a8c; do
  run "${s%%:*}" "${s##*:}" --scenario "$root/hocon/scenarios/${s%%:*}.conf"
done
if [[ ${1:-} != quick ]]; then
  for p in 1 5; do
    "$bench" fleet --scenario fleet-100k --set amisim.kernel.partitions=$p >"$out/fleet-100k-$p.log" 2>&1
    check "fleet-100k/$p" 490bf288 "$(grep -o 'resultDigest [0-9a-f]*' "$out/fleet-100k-$p.log" | cut -d' ' -f2)"
  done
fi
echo "logs in $out"
exit $failed
