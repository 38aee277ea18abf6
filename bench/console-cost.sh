#!/usr/bin/env bash
# What the operator console costs a run: fleet-10k (or the scenario given) run in turns without and
# with `--console` at the fastest pace, N times each (default 3), each run's simulation wall time from
# its report.json (run.wallSeconds), then the mean of each and their ratio. Release build.
#   bash bench/console-cost.sh [RUNS] [SCENARIO]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
scenario=${2:-$root/hocon/scenarios/fleet-10k.conf}
out=$(mktemp -d /tmp/amisim-console-cost-XXXX)
dotnet build -c Release "$root/src/Host" -v q -nologo >/dev/null || { echo "build failed"; exit 2; }
host="$root/src/Host/bin/Release/net10.0/amisim"
wall() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['run']['wallSeconds'])" "$1/report.json"; }
without=() with=()
for i in $(seq 1 "$runs"); do
  "$host" run --scenario "$scenario" --out "$out/plain-$i" >"$out/plain-$i.log" 2>&1
  without+=("$(wall "$out/plain-$i")")
  # A run with a console keeps serving its final state until SIGTERM: stop it once its report is written.
  "$host" run --scenario "$scenario" --out "$out/console-$i" --console --pace max >"$out/console-$i.log" 2>&1 &
  pid=$!
  until [[ -f "$out/console-$i/report.json" ]] || ! kill -0 $pid 2>/dev/null; do sleep 0.5; done
  kill -TERM $pid 2>/dev/null; wait $pid
  with+=("$(wall "$out/console-$i")")
  echo "run $i: ${without[-1]} s without, ${with[-1]} s with the console"
done
python3 - "${without[*]}" "${with[*]}" <<'PY'
import sys
a = [float(x) for x in sys.argv[1].split()]; b = [float(x) for x in sys.argv[2].split()]
ma, mb = sum(a) / len(a), sum(b) / len(b)
print(f"mean {ma:.1f} s without, {mb:.1f} s with the console at max pace: {mb / ma:.2f}x")
PY
rm -rf "$out"
