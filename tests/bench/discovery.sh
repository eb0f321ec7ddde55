#!/usr/bin/env bash
# Discovery benchmark: in one run, times daicho-agent's host discovery of a /24 test LAN against
# arp-scan and nmap -sn on the same LAN, all run inside the LAN's scanner namespace, and prints
# wall times, hosts found (of the LAN's ground truth) and the ratios. The agent runs with
# --no-fingerprint (discovery only; tests/bench/fingerprint.sh measures the full inventory).
#
#   tests/bench/discovery.sh [--id ID] [--hosts N] [--agent PATH] [--runs R]
#
#   --id     test LAN id (default: bench)          --hosts  LAN hosts, at most 244 (default: 244)
#   --agent  daicho-agent binary (default: target/debug/daicho-agent, built first)
#   --runs   agent runs (default: 1; each must find every host)
#
# Needs root, arp-scan and nmap. The agent runs at its default rates. "nmap -sn" is nmap's
# default host discovery, which includes reverse DNS of every live host; "nmap -sn -n" skips
# it and is shown for a like-for-like comparison with "daicho --no-names", whose goal (issue 17)
# is at most half of nmap -sn -n's time. Exits 1 when an agent run misses a host of the truth or
# reports a wrong MAC/vendor/randomized flag.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ID=bench
HOSTS=244
AGENT=""
RUNS=1
while (($#)); do
    case $1 in
    --id) ID=$2; shift 2 ;;
    --hosts) HOSTS=$2; shift 2 ;;
    --agent) AGENT=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
    esac
done
[[ $(id -u) == 0 ]] || { echo "discovery.sh: needs root" >&2; exit 2; }
for tool in arp-scan nmap; do
    command -v "$tool" >/dev/null || { echo "discovery.sh: $tool is not installed" >&2; exit 2; }
done
if [[ -z $AGENT ]]; then
    (cd "$ROOT" && cargo build -q -p daicho-agent)
    # The target directory may be shared with other checkouts: run a private copy.
    AGENT=$(mktemp -d)/daicho-agent
    cp "${CARGO_TARGET_DIR:-$ROOT/target}/debug/daicho-agent" "$AGENT"
fi

WORK=$(mktemp -d)
cleanup() { "$ROOT/tests/lan/lan.sh" down --id "$ID" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
"$ROOT/tests/lan/lan.sh" up --id "$ID" --hosts "$HOSTS" >/dev/null
TRUTH=/run/daicho-lan/$ID/truth.json
NS=dl-$ID-scan
CIDR=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['lan_cidr'])" "$TRUTH")

now_ns() { date +%s%N; }
# run NAME CMD...: times CMD in the scanner namespace, output to $WORK/NAME.out
run() {
    local name=$1; shift
    local t0 t1
    t0=$(now_ns)
    ip netns exec "$NS" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || {
        echo "discovery.sh: $name failed:" >&2; cat "$WORK/$name.err" >&2; exit 1; }
    t1=$(now_ns)
    echo "$name $(((t1 - t0) / 1000000))" >>"$WORK/wall.txt"
}

for r in $(seq 1 "$RUNS"); do
    run "daicho-$r" "$AGENT" scan --no-fingerprint --target "$CIDR" --format json
done
run daicho-nonames "$AGENT" scan --no-fingerprint --target "$CIDR" --no-names --format json
run arp-scan arp-scan --interface eth0 --retry 2 "$CIDR"
run nmap-n nmap -sn -n "$CIDR" -oG -
run nmap nmap -sn "$CIDR" -oG -

# Hosts found per tool, checked against the truth (LAN segment, scanner itself not counted).
python3 - "$TRUTH" "$WORK" "$RUNS" <<'PY'
import json, re, sys
truth = json.load(open(sys.argv[1]))
work, runs = sys.argv[2], int(sys.argv[3])
wall = {k: int(v) for k, v in (l.split() for l in open(f"{work}/wall.txt"))}
lan = {h["ip"]: h for h in truth["hosts"] if h["segment"] == "lan"}
scanner = truth["scanner"]["ip"]

def found(name):
    text = open(f"{work}/{name}.out").read()
    if name.startswith("daicho"):
        rep = json.loads(text)
        ips = {h["ip"] for h in rep["hosts"]}
        wrong = [h["ip"] for h in rep["hosts"] if h["ip"] in lan and (
            h["mac"] != lan[h["ip"]]["mac"] or h["vendor"] != lan[h["ip"]]["vendor"]
            or h["mac_randomized"] != lan[h["ip"]]["mac_randomized"])]
        return ips, wrong
    if name == "arp-scan":
        return set(re.findall(r"^(\d+\.\d+\.\d+\.\d+)\t", text, re.M)), []
    return set(re.findall(r"^Host: (\d+\.\d+\.\d+\.\d+) .*Status: Up", text, re.M)), []

rows = []
for name in [f"daicho-{r}" for r in range(1, runs + 1)] + ["daicho-nonames", "arp-scan", "nmap-n", "nmap"]:
    ips, wrong = found(name)
    hit = len(set(lan) & ips)
    missed = sorted(set(lan) - ips, key=lambda s: tuple(map(int, s.split("."))))
    rows.append((name, wall[name], hit, missed, wrong))
label = {"daicho-nonames": "daicho --no-names", "arp-scan": "arp-scan --retry 2",
         "nmap-n": "nmap -sn -n", "nmap": "nmap -sn"}
print(f"LAN {truth['lan_cidr']}: {len(lan)} live hosts besides the scanner (truth {sys.argv[1]})")
print(f"{'tool':<22}{'wall ms':>9}{'found':>8}{'missed':>8}{'wrong mac/vendor':>18}")
for name, ms, hit, missed, wrong in rows:
    print(f"{label.get(name, name):<22}{ms:>9}{hit:>8}{len(missed):>8}{len(wrong):>18}")
    if missed:
        print(f"    missed: {' '.join(missed[:20])}")
d = wall["daicho-1"]
print()
print(f"daicho / nmap -sn      = {d / wall['nmap']:.3f}")
print(f"daicho / nmap -sn -n   = {d / wall['nmap-n']:.3f}")
ratio = wall['daicho-nonames'] / wall['nmap-n']
print(f"daicho --no-names / nmap -sn -n = {ratio:.3f}  (goal <= 0.5: {'met' if ratio <= 0.5 else 'NOT met'})")
print(f"daicho / arp-scan      = {d / wall['arp-scan']:.3f}")
bad = [r for r in rows if r[0].startswith("daicho") and (r[3] or r[4])]
for name, _, _, missed, wrong in bad:
    print(f"discovery.sh: {label.get(name, name)} missed {len(missed)} host(s), "
          f"{len(wrong)} with a wrong MAC/vendor", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
