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
#      reads checked against Wine's reg, sc, net start and netstat) and daicho-scan's unit tests;
#   5. installs the agent into the prefix as an MSI (deploy/windows/daicho-agent.wxs) and runs
#      `daicho-agent.exe inventory --format json`: Windows, its build, services, and the
#      programs Windows lists (the agent itself among them);
#   6. `daicho-agent.exe run --once` delivers that inventory to a Linux daicho-collector on
#      127.0.0.1, and the collector's ledger holds the PC with its services and programs.
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
echo "== windows-agent: Windows tests under Wine (daicho-inventory, daicho-scan --lib)"
test_log="$win_target/wine-tests.log"
win_cargo test -p daicho-inventory -p daicho-scan --lib --test windows_live 2>&1 | tee "$test_log" | grep -E '^(test result|failures:|---- )' || true
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
programs = [p["name"] for p in inv["packages"]]
assert "daicho agent" in programs, programs
assert any(p["name"] == "daicho-agent.exe" for p in inv["processes"]), inv["processes"]
print(f"   {os_['name']} {os_['version']} build {os_['build']}; "
      f"{len(services)} services ({sum(s['state'] == 'running' for s in services)} running), "
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
TOML
/usr/lib/wine/wine64 "$exe" run --once --config "$work/agent.toml" > "$work/agent.log" 2>&1 || {
  echo "windows-agent: run --once failed" >&2
  cat "$work/agent.log" >&2
  exit 1
}
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
echo "   delivered and stored in $(since "$step") s"
echo "== windows-agent: ok in $(since "$script_start") s"
