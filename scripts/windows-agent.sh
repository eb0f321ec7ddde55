#!/usr/bin/env bash
# The Windows agent, built and tested on Debian (issue 18), called by scripts/test.sh:
#   1. installs Debian's Rust 1.96 (rustc-web, cargo-web, rust-web-src, rust-web-clippy),
#      mingw-w64 and Wine 8, plus wixl (the MSI builder), skipping what is installed;
#   2. builds daicho-agent.exe for x86_64-pc-windows-gnu with that toolchain (std rebuilt for
#      the target with -Zbuild-std; the workspace's own toolchain stays the Linux one), every
#      workspace crate through clippy -D warnings, which the Linux lint cannot do for the
#      Windows-only code;
#   3. makes a fresh Wine prefix (Windows 10) with the one DLL Wine 8 lacks
#      (tests/windows/bcryptprimitives.c: ProcessPrng, which Rust's std needs);
#   4. runs the Windows tests under Wine (linted too): daicho-inventory's (its live Windows API
#      reads checked against Wine's reg, sc, net start and netstat), daicho-scan's unit tests
#      and the agent's Windows units (service command line, event log, default paths);
#   5. installs the agent into the prefix as an MSI (deploy/windows/daicho-agent.wxs) and runs
#      `daicho-agent.exe inventory --format json`: Windows, its build, services, and the
#      programs Windows lists (the agent itself among them);
#   6. `daicho-agent.exe run --once` delivers that inventory to a Linux daicho-collector on
#      127.0.0.1, and the collector's ledger holds the PC with its services and programs; its
#      log goes to the default file %ProgramData%\daicho\agent.log;
#   7. the MSI's agent as a Windows service: `service install` (default configuration path
#      under %ProgramData%\daicho) → `sc query` STOPPED, a second install refused, `service
#      start` → RUNNING and its report delivered to that collector, `service stop` → STOPPED,
#      a broken configuration → start refused with exit code 2, repaired → running,
#      `service uninstall` → stopped first, then gone; the events it logged (Wine prints
#      ReportEventW's text) in order.
# Nothing here scans: under Wine only the inventory runs and the delivery goes to loopback.
# Needs root (apt-get). Prints the time of each step.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

bash scripts/apt-missing.sh windows-agent \
  rustc-web cargo-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64 wine64 wixl python3

now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.1f}')"; }
script_start=$(now)

# The Linux collector for step 6, built with the workspace's own toolchain (already built when
# scripts/test.sh has run the tests) before PATH puts Debian's toolchain first.
linux_target="${CARGO_TARGET_DIR:-$repo/target}"
echo "== windows-agent: the Linux collector (workspace toolchain)"
cargo build --locked -q -p daicho-collector
collector_bin="$linux_target/debug/daicho-collector"

# Debian's toolchain for the Windows target, in a target directory of its own.
win_target="$linux_target/windows"
export PATH="/usr/bin:$PATH"
export RUSTC_BOOTSTRAP=1 # -Zbuild-std on a stable toolchain: Debian's rustc has no Windows std
export CARGO_TARGET_DIR="$win_target"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=/usr/lib/wine/wine64
export WINEPREFIX="$win_target/wineprefix"
export WINEDEBUG=-all
unset DISPLAY WAYLAND_DISPLAY # no window: Wine runs console programs headless
# Every workspace crate compiled for Windows goes through clippy-driver, as `cargo clippy` does
# it, with -D warnings: the build and the test build lint the Windows-only code (which the
# Linux lint cannot see) at no extra compile, dependencies being compiled by rustc as usual.
export RUSTC_WORKSPACE_WRAPPER=/usr/bin/clippy-driver
export CLIPPY_ARGS="-Dwarnings__CLIPPY_HACKERY__"
# `cargo SUB` for the Windows target.
win_cargo() {
  local sub="$1"
  shift
  cargo "$sub" --locked -Zbuild-std=std,panic_abort --target x86_64-pc-windows-gnu "$@"
}
echo "   $(cargo --version), $(rustc --version)"

step=$(now)
echo "== windows-agent: building daicho-agent.exe (x86_64-pc-windows-gnu), linted by clippy"
win_cargo build -q -p daicho-agent
exe="$win_target/x86_64-pc-windows-gnu/debug/daicho-agent.exe"
echo "   built in $(since "$step") s: $exe"

step=$(now)
echo "== windows-agent: a fresh Wine prefix (Windows 10) at $WINEPREFIX"
wineserver=/usr/lib/wine/wineserver
"$wineserver" -k 2>/dev/null || true
rm -rf "$WINEPREFIX"
cleanup() { "$wineserver" -k 2>/dev/null || true; [ -n "${collector_pid:-}" ] && kill "$collector_pid" 2>/dev/null || true; }
trap cleanup EXIT
/usr/lib/wine/wine64 wineboot -i >/dev/null 2>&1
/usr/lib/wine/wine64 winecfg /v win10 >/dev/null 2>&1
"$wineserver" -w
x86_64-w64-mingw32-gcc -O2 -Wall -Werror -shared -o "$win_target/bcryptprimitives.dll" \
  tests/windows/bcryptprimitives.c tests/windows/bcryptprimitives.def -ladvapi32
cp "$win_target/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
echo "   ready in $(since "$step") s"

step=$(now)
echo "== windows-agent: Windows tests under Wine (daicho-inventory, daicho-scan --lib, the agent's Windows units)"
test_log="$win_target/wine-tests.log"
# The agent's Windows-side unit tests (service, event log, default paths, [log]); its other
# unit tests exercise Linux spool and file-mode behaviour and run on Linux.
{
  win_cargo test -p daicho-inventory -p daicho-scan --lib --test windows_live
  win_cargo test -p daicho-agent --lib -- service:: logging:: paths:: config::tests::log_destinations
} 2>&1 | tee "$test_log" | grep -E '^(test result|failures:|---- )' || true
if grep -qE '^test result: FAILED|^error' "$test_log" || ! grep -q '^test result: ok' "$test_log"; then
  echo "windows-agent: the Windows tests failed (log: $test_log)" >&2
  tail -n 60 "$test_log" >&2
  exit 1
fi
passed=$(grep -oE '^test result: ok\. [0-9]+ passed' "$test_log" | awk '{s += $4} END {print s}')
echo "   $passed tests passed under Wine in $(since "$step") s (build included)"

step=$(now)
echo "== windows-agent: install the agent as an MSI, then inventory --format json under Wine"
# wixl takes file sources relative to the directory it runs in.
(cd "$(dirname "$exe")" && wixl -a x64 -o "$win_target/daicho-agent.msi" -D AgentExe=daicho-agent.exe "$repo/deploy/windows/daicho-agent.wxs")
/usr/lib/wine/wine64 msiexec /i "$win_target/daicho-agent.msi" /qn
# Wine keeps no update build revision (UBR); a real Windows does. The throwaway prefix gets
# one, so the check below sees the live read turn CurrentBuild + UBR into the patch level.
/usr/lib/wine/wine64 reg add 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion' /v UBR /t REG_DWORD /d 4894 /f >/dev/null
inventory="$win_target/inventory.json"
/usr/lib/wine/wine64 "$exe" inventory --format json > "$inventory"
reg_build=$(/usr/lib/wine/wine64 reg query 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion' /v CurrentBuild | awk '/CurrentBuild/ {print $3}' | tr -d '\r')
python3 - "$inventory" "$reg_build" <<'PY'
import json, re, sys
inv = json.load(open(sys.argv[1]))
os_, reg_build = inv["os"], sys.argv[2]
assert os_["id"] == "windows" and "Windows" in (os_["name"] or ""), os_
assert os_["build"] == f"{reg_build}.4894", (os_["build"], reg_build)
assert re.fullmatch(r"10\.0\.\d+", os_["version"] or ""), os_
services = inv["system_services"]
assert services and all(s["start_type"] for s in services), services
assert any(s["state"] == "running" for s in services), services
# NetGetJoinInformation: Wine reports a workgroup, by name.
membership = inv.get("membership") or {}
assert membership.get("kind") == "workgroup" and membership.get("name"), membership
# Wine's powershell.exe is a stub that prints nothing: no Security Center answer, said in notes.
assert inv.get("antivirus", []) == [], inv.get("antivirus")
assert any(n.startswith("antivirus not listed") for n in inv["notes"]), inv["notes"]
programs = [p["name"] for p in inv["packages"]]
assert "daicho agent" in programs, programs
assert any(p["name"] == "daicho-agent.exe" for p in inv["processes"]), inv["processes"]
print(f"   {os_['name']} {os_['version']} build {os_['build']}; "
      f"{len(services)} services ({sum(s['state'] == 'running' for s in services)} running), "
      f"{membership['kind']} {membership['name']}, "
      f"{len(programs)} programs {programs}, {len(inv['processes'])} processes, "
      f"{len(inv['listening'])} listening sockets, {len(inv['interfaces'])} interfaces")
PY
echo "   checked in $(since "$step") s: $inventory"

step=$(now)
echo "== windows-agent: run --once under Wine, delivering to a Linux collector on 127.0.0.1"
work="$win_target/delivery"
rm -rf "$work" && mkdir -p "$work"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/collector.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
[storage]
database = "$work/collector.db"
TOML
(umask 077 && "$collector_bin" --config "$work/collector.toml" token create --agent wine-pc > "$work/agent.token" 2>/dev/null)
# The service of step 7 keeps its files where Windows agents do: %ProgramData%\daicho.
program_data="$WINEPREFIX/drive_c/ProgramData/daicho"
mkdir -p "$program_data"
(umask 077 && "$collector_bin" --config "$work/collector.toml" token create --agent wine-service > "$program_data/agent.token" 2>/dev/null)
"$collector_bin" --config "$work/collector.toml" serve > "$work/collector.log" 2>&1 &
collector_pid=$!
for _ in $(seq 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" 2>/dev/null && break
  sleep 0.1
done
cat > "$work/agent.toml" <<TOML
[agent]
name = "wine-pc"
[schedule]
interval = "6h"
[collector]
url = "http://127.0.0.1:$port/"
token_file = "$work/agent.token"
[spool]
dir = "$work/spool"
[inventory]
enabled = true
[log]
to = "file"
TOML
# [log] to = "file" without a file: the default, %ProgramData%\daicho\agent.log.
log_file="$program_data/agent.log"
rm -f "$log_file"
/usr/lib/wine/wine64 "$exe" run --once --config "$work/agent.toml" > "$work/agent.log" 2>&1 || {
  echo "windows-agent: run --once failed" >&2
  cat "$work/agent.log" "$log_file" >&2
  exit 1
}
if ! grep -q 'report delivered' "$log_file" || grep -q $'\e' "$log_file"; then
  echo "windows-agent: no plain 'report delivered' line in the default log file $log_file" >&2
  cat "$log_file" >&2
  exit 1
fi
"$collector_bin" --config "$work/collector.toml" ledger export --format csv --output "$work/ledger.csv"
python3 - "$work/collector.db" "$work/ledger.csv" <<'PY'
import csv, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(reports,) = db.execute("select count(*) from reports where agent = 'wine-pc'").fetchone()
assert reports == 1, reports
devices = db.execute("select id, os_name, local_json from devices where local_json is not null").fetchall()
assert len(devices) == 1, devices
device, os_name, local = devices[0][0], devices[0][1], json.loads(devices[0][2])
assert local["os"]["id"] == "windows", local["os"]
assert local["system_services"], "no services stored"
assert "daicho agent" in [p["name"] for p in local["packages"]], local["packages"]
rows = list(csv.reader(open(sys.argv[2], encoding="utf-8-sig")))
print(f"   report stored; device {device} ({os_name}) holds {len(local['system_services'])} services "
      f"and {len(local['packages'])} programs; ledger export: {len(rows) - 1} row(s)")
PY
echo "   delivered and stored in $(since "$step") s; logged to %ProgramData%\\daicho\\agent.log"

step=$(now)
echo "== windows-agent: the agent as a Windows service under Wine: install, start, stop, uninstall"
# The MSI's copy, as on a PC, with its configuration at the default path
# (%ProgramData%\daicho\agent.toml) and its spool at the default %ProgramData%\daicho\spool (no
# [spool] section). The collector is the loopback one of the previous step; the service's
# run at start delivers there.
agent='C:\Program Files\daicho\daicho-agent.exe'
cat > "$program_data/agent.toml" <<TOML
[agent]
name = "wine-service"
shutdown_grace = "5s"
[schedule]
interval = "6h"
[collector]
url = "http://127.0.0.1:$port/"
token_file = "agent.token"
[inventory]
enabled = true
TOML
# Wine's ReportEventW prints each event's text on its eventlog debug channel: a fresh Wine
# session whose services.exe (and so the service it starts) writes that trace to a file is how
# the events the service logged are checked. One persistent session for the whole step, so
# that services.exe does not restart (and auto-start the service) between the commands.
"$wineserver" -k 2>/dev/null || true
"$wineserver" -w
events="$work/service-events.log"
: > "$events"
export WINEDEBUG=-all,+eventlog
"$wineserver" -p
on_wine() { /usr/lib/wine/wine64 "$@" 2>>"$events"; }
sc_state() { /usr/lib/wine/wine64 sc query daicho-agent 2>/dev/null | tr -d '\r' | awk '/STATE/ {print $4}'; }
expect_state() {
  local state
  state=$(sc_state)
  if [ "$state" != "$1" ]; then
    echo "windows-agent: sc query daicho-agent: '$state', not $1 ($2)" >&2
    cat "$events" >&2
    exit 1
  fi
  echo "   sc query daicho-agent: $state ($2)"
}
# Refused with its message, exit status not 0: `refused WHAT MESSAGE COMMAND...`.
refused() {
  local what="$1" message="$2"
  shift 2
  if /usr/lib/wine/wine64 "$@" > "$work/refused.log" 2>&1 || ! grep -q "$message" "$work/refused.log"; then
    echo "windows-agent: $what was not refused with '$message'" >&2
    cat "$work/refused.log" >&2
    exit 1
  fi
}
source_key='HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\daicho-agent'
on_wine "$agent" service install | sed 's/^/   /'
expect_state STOPPED "installed"
on_wine reg query "$source_key" /v EventMessageFile > /dev/null
refused "a second install" "already installed" "$agent" service install
refused "'service run' in a console" "started by the Service Control Manager" "$agent" service run
started=$(now)
on_wine "$agent" service start | sed 's/^/   /'
expect_state RUNNING "started in $(since "$started") s"
# The service's run at start reaches the collector.
service_reports() {
  python3 -c "import sqlite3; print(sqlite3.connect('$work/collector.db').execute(\"select count(*) from reports where agent = 'wine-service'\").fetchone()[0])"
}
for _ in $(seq 300); do
  [ "$(service_reports)" = 1 ] && break
  sleep 0.2
done
echo "   report delivered $(since "$started") s after the start"
stopping=$(now)
on_wine "$agent" service stop | sed 's/^/   /'
expect_state STOPPED "stopped in $(since "$stopping") s"
# A configuration broken after install: the service stops at start with exit code 2, and
# says why in the event log.
cp "$program_data/agent.toml" "$work/service-agent.toml"
{ echo 'unknown_key = 1'; cat "$work/service-agent.toml"; } > "$program_data/agent.toml"
refused "a start with a broken configuration" "exit code 2" "$agent" service start
expect_state STOPPED "start refused: configuration error"
# Repaired, without a run at start this time; `uninstall` stops the running service first.
sed 's/^interval = "6h"$/interval = "6h"\nrun_at_start = false/' "$work/service-agent.toml" > "$program_data/agent.toml"
on_wine "$agent" service start | sed 's/^/   /'
expect_state RUNNING "started again"
on_wine "$agent" service uninstall | sed 's/^/   /'
if /usr/lib/wine/wine64 sc query daicho-agent > "$work/refused.log" 2>&1; then
  echo "windows-agent: sc query still finds the service after uninstall" >&2
  cat "$work/refused.log" >&2
  exit 1
fi
if /usr/lib/wine/wine64 reg query "$source_key" > /dev/null 2>&1; then
  echo "windows-agent: the event log source is still registered after uninstall" >&2
  exit 1
fi
echo "   sc query daicho-agent: gone; event log source removed"
export WINEDEBUG=-all
"$wineserver" -k 2>/dev/null || true
python3 - "$work/collector.db" "$events" "$program_data/spool" <<'PY'
import os, re, sqlite3, sys
db, events, spool = sys.argv[1:]
(reports,) = sqlite3.connect(db).execute("select count(*) from reports where agent = 'wine-service'").fetchone()
assert reports == 1, f"the service delivered {reports} reports, not 1"
# The events the service reported (ReportEventW's text, as Wine traces it: information as
# trace, warnings as warn, errors as err), in order.
text = open(events, encoding="utf-8", errors="replace").read()
typed = re.findall(r'(trace|warn|err):eventlog:ReportEventW L"(.*)"', text)
texts = [t for _, t in typed]
wanted = ["service started", "agent started", "report spooled", "report delivered",
          "stopping: delivering what the spool holds", "agent stopped", "service stopped",
          "configuration error", "service started", "agent stopped", "service stopped"]
at = 0
for t in texts:
    if at < len(wanted) and wanted[at] in t:
        at += 1
assert at == len(wanted), f"event {wanted[at]!r} missing or out of order in {texts}"
assert not any("\\001b" in t for t in texts), "colour codes in the events"
assert any(kind == "err" and "configuration error" in t and "unknown_key" in t
           for kind, t in typed), typed
pending = os.path.join(spool, "pending")
assert os.path.isdir(pending), "no spool at the default path"
assert not os.listdir(pending), f"reports left in the spool: {os.listdir(pending)}"
print(f"   the service's report stored; {len(texts)} events logged, among them in order: "
      f"{'; '.join(wanted)}; the default spool %ProgramData%\\daicho\\spool left empty")
PY
echo "   service checked in $(since "$step") s"
echo "== windows-agent: ok in $(since "$script_start") s"
