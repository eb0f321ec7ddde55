#!/usr/bin/env bash
# The main job, end to end, on a LAN the script builds itself (network namespaces joined by a
# bridge, real Debian services inside; nothing outside the namespaces is ever scanned):
#   1. installs what the test LAN needs and builds daicho (release);
#   2. brings up the test LAN (tests/lan/lan.sh) with --hosts N (default 40);
#   3. starts the collector inside the scanner namespace and creates an agent token;
#   4. runs the agent once there (`daicho-agent run --once`: scan + local inventory + push);
#   5. prints the device ledger (機器台帳), the alerts, and writes the checklist evidence.
# Needs root. `--keep` leaves the LAN and the collector running for a look around.
set -euo pipefail
cd "$(dirname "$0")/.."

hosts=40
keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --hosts) hosts="$2"; shift 2 ;;
    --keep) keep=true; shift ;;
    *) echo "usage: scripts/demo.sh [--hosts N] [--keep]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it builds network namespaces)" >&2; exit 1; }

bash scripts/install-deps.sh
echo "== building daicho (release)"
cargo build --release --locked -p daicho-agent -p daicho-collector
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release"

id=demo
out=/tmp/daicho-demo
rm -rf "$out" && mkdir -p "$out"
echo "== bringing up the test LAN ($hosts hosts) — see tests/lan/README.md"
tests/lan/lan.sh up --id "$id" --hosts "$hosts" >/dev/null
ns="dl-$id-scan"
collector_pid=
cleanup() {
  [ -n "$collector_pid" ] && kill "$collector_pid" 2>/dev/null || true
  tests/lan/lan.sh down --id "$id" >/dev/null 2>&1 || true
}
$keep || trap cleanup EXIT

cat > "$out/collector.toml" <<TOML
[server]
listen = "127.0.0.1:8640"
[storage]
database = "$out/collector.db"
[alerts]
check_interval_secs = 2
log = true
TOML
# The agent refuses a token file other users can read: create it 0600.
(umask 077 && "$bin/daicho-collector" --config "$out/collector.toml" token create --agent demo-agent > "$out/agent.token" 2>/dev/null)
ip netns exec "$ns" "$bin/daicho-collector" --config "$out/collector.toml" serve > "$out/collector.log" 2>&1 &
collector_pid=$!
for _ in $(seq 50); do
  ip netns exec "$ns" python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:8640/healthz", timeout=1)' 2>/dev/null && break
  sleep 0.2
done

cat > "$out/agent.toml" <<TOML
[agent]
name = "demo-agent"
log_level = "warn"
[schedule]
interval = "6h"
run_at_start = true
[collector]
url = "http://127.0.0.1:8640/"
token_file = "$out/agent.token"
[spool]
dir = "$out/spool"
[inventory]
enabled = true
[scan]
targets = ["198.18.0.0/24", "198.18.1.0/24"]
TOML
echo "== agent: scan + inventory + delivery (run --once, inside the scanner namespace)"
start=$(date +%s.%N)
ip netns exec "$ns" "$bin/daicho-agent" run --once --config "$out/agent.toml"
echo "   done in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
sleep 3 # one alert pass

echo "== 機器台帳 (device ledger), as CSV"
"$bin/daicho-collector" --config "$out/collector.toml" ledger export --format csv --output "$out/ledger.csv"
head -n 60 "$out/ledger.csv"
echo
echo "== alerts"
"$bin/daicho-collector" --config "$out/collector.toml" alert list > "$out/alerts.txt"
head -n 40 "$out/alerts.txt"
echo "   ($(($(wc -l < "$out/alerts.txt") - 1)) alerts in all: $out/alerts.txt)"
"$bin/daicho-collector" --config "$out/collector.toml" report checklist --format html --output "$out/checklist.html"
"$bin/daicho-collector" --config "$out/collector.toml" ledger export --format xlsx --output "$out/ledger.xlsx"
echo
echo "== written: $out/checklist.html (checklist evidence), $out/ledger.xlsx and ledger.csv (ledger), $out/collector.log"
if $keep; then
  echo "LAN '$id' and the collector (pid $collector_pid) are still up; stop with: kill $collector_pid; tests/lan/lan.sh down --id $id"
fi
