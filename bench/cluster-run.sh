#!/usr/bin/env bash
# Runs a scenario on N AmiSim cluster nodes on this machine (loopback TCP) and prints what the run
# node's report says (wall time, events, events/s, windows, digest) and each process's peak RSS.
#   bash bench/cluster-run.sh NODES SCENARIO [OUT]
# Example: bash bench/cluster-run.sh 2 hocon/scenarios/fleet-100k.conf
# AMISIM_SET="key=value ..." passes --set options to every node (Akka keys too).
# AMISIM_TLS=1: mutual TLS between the nodes, with certificates from `amisim certs new` (in OUT/certs).
# Uses the Release build of src/Host (built first), or the build in the folder AMISIM_BIN names (to
# compare two builds); nodes are stopped at the end.
set -euo pipefail
nodes=${1:?number of nodes}; scenario=${2:?scenario file}; out=${3:-$(mktemp -d /tmp/amisim-cluster-XXXX)}
mkdir -p "$out"
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(mktemp -d /tmp/amisim-bin-XXXX)
if [[ -n ${AMISIM_BIN:-} ]]; then
  cp -r "$AMISIM_BIN/." "$bin"
else
  dotnet build -c Release "$root/src/Host" -v q -nologo >/dev/null
  cp -r "$root/src/Host/bin/Release/net10.0/." "$bin"   # a copy: rebuilding during the run cannot change it
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
extra=(); for kv in ${AMISIM_SET:-}; do extra+=(--set "$kv"); done
tls() { :; }
if [[ -n ${AMISIM_TLS:-} ]]; then
  dotnet "$bin/amisim.dll" certs new --out "$out/certs" --nodes "$nodes" >/dev/null
  tls() { echo --tls-cert "$out/certs/node-$1.pem" --tls-key "$out/certs/node-$1.key" --tls-ca "$out/certs/ca.pem"; }
fi
pids=()
trap 'for pid in "${pids[@]}"; do pkill -P "$pid" 2>/dev/null || true; done' EXIT
for ((i = 1; i < nodes; i++)); do
  /usr/bin/time -f "node $i peak RSS %M KiB, CPU %U s user %S s system" dotnet "$bin/amisim.dll" node --port 0 --seed-nodes "akka.tcp://amisim@127.0.0.1:$port" "${extra[@]}" $(tls $((i + 1))) >"$out/node-$i.log" 2>&1 &
  pids+=($!)
done
if ((nodes == 1)); then
  /usr/bin/time -f "run node peak RSS %M KiB, CPU %U s user %S s system" dotnet "$bin/amisim.dll" run --scenario "$scenario" --out "$out/run" "${extra[@]}" >"$out/run.log" 2>&1
else
  /usr/bin/time -f "run node peak RSS %M KiB, CPU %U s user %S s system" dotnet "$bin/amisim.dll" run --cluster --port "$port" --nodes "$nodes" --scenario "$scenario" --out "$out/run" "${extra[@]}" $(tls 1) >"$out/run.log" 2>&1
fi
for pid in "${pids[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; done   # the nodes under /usr/bin/time (background jobs ignore SIGINT)
wait 2>/dev/null || true
python3 - "$out/run/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
k = r["run"]
print({key: k.get(key) for key in ("wallSeconds", "eventsHandled", "eventsPerSecond", "windows", "epochs", "epochsSatOut", "peakWorkingSetMB")}, "resultDigest", r["resultDigest"])
PY
tail -n 1 "$out/run.log"; for ((i = 1; i < nodes; i++)); do tail -n 1 "$out/node-$i.log"; done
echo "run folder: $out"
