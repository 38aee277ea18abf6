#!/usr/bin/env bash
# CIM over the wire, head-end to `amisim mdm` on loopback (Release build):
#  1. messages/s: the head-end's client (CimServiceClient) sends MESSAGES EndDeviceEvents messages of
#     100 events each to an `amisim mdm` on fleet-100k's fleet, every one answered (after a warm-up
#     round of the same size, which is not counted);
#  2. fleet-100k with --mdm-endpoint against that MDM: the run's wall time with and without the
#     endpoint, the messages, and whether every one was answered.
#   bash bench/cim-throughput.sh [MESSAGES] [SENDERS]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
messages=${1:-3000}
senders=${2:-16}
out=$(mktemp -d /tmp/amisim-cim-bench-XXXX)
port=${AMISIM_CIM_BENCH_PORT:-47190}
dotnet build -c Release "$root/src/Host" -v q -nologo >/dev/null && dotnet build -c Release "$root/bench/AmiSim.Bench" -v q -nologo >/dev/null || { echo "build failed"; exit 2; }
host="$root/src/Host/bin/Release/net10.0/amisim"
bench="$root/bench/AmiSim.Bench/bin/Release/net10.0/amisim-bench"
scenario="$root/hocon/scenarios/fleet-100k.conf"
"$host" mdm --scenario "$scenario" --port "$port" --db "$out/mdm.db" >"$out/mdm.log" 2>&1 &
mdm=$!
trap 'kill -TERM $mdm 2>/dev/null; rm -rf "$out"' EXIT
until grep -q "MDM endpoint" "$out/mdm.log" 2>/dev/null || ! kill -0 $mdm 2>/dev/null; do sleep 0.5; done
url="http://127.0.0.1:$port/cim"
"$bench" cim --endpoint "$url" --messages "$messages" --senders "$senders" >/dev/null 2>&1   # warm-up
"$bench" cim --endpoint "$url" --messages "$messages" --senders "$senders" 2>&1 | tail -n 2 | tr -d '\n'; echo
echo "MDM process CPU so far (user+system): $(ps -o time= -p $mdm)"
wall() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['run']['wallSeconds'])" "$1/report.json"; }
/usr/bin/time -f "%e s wall, %M KB max resident" "$host" run --scenario "$scenario" --out "$out/plain" >"$out/plain.log" 2>"$out/plain.time"
/usr/bin/time -f "%e s wall, %M KB max resident" "$host" run --scenario "$scenario" --out "$out/endpoint" --mdm-endpoint "$url" >"$out/endpoint.log" 2>"$out/endpoint.time"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
plain = json.load(open(f"{out}/plain/report.json")); endpoint = json.load(open(f"{out}/endpoint/report.json"))
d = endpoint["mdmEndpoint"]
print(f"fleet-100k without the endpoint: {open(f'{out}/plain.time').read().strip().splitlines()[-1]}, digest {plain['resultDigest'][:16]}")
print(f"fleet-100k with --mdm-endpoint:  {open(f'{out}/endpoint.time').read().strip().splitlines()[-1]}, digest {endpoint['resultDigest'][:16]}")
print(f"  {d['messages']} messages: {d['ok']} OK, {d['partial']} PARTIAL, {d['failed']} FAILED, {d['undelivered']} unanswered, in {d['calls']} calls")
PY
