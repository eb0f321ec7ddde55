#!/usr/bin/env bash
# Installs what building and testing daicho needs on a fresh Debian machine: the real services the
# test LAN runs (from Debian packages) and the anchor tools the benchmarks compare against.
# Idempotent: installs only what is missing. Needs root.
set -euo pipefail

packages=(
  iproute2 util-linux procps psmisc iputils-ping python3 openssl # test LAN plumbing and small responders
  openssh-server nginx-light vsftpd snmpd snmp dcmtk dnsmasq-base # real services in the LAN
  tcpdump nmap arp-scan # packet capture in tests; anchor tools for benchmarks
  ieee-data # the closed IAB list crates/daicho-oui/data/generate.py adds to the npm oui-data registry
  chromium chromium-driver fonts-noto-cjk poppler-utils # browser tests of the console; the checklist printed to PDF; the network diagram PDF's Japanese font and its PNG (pdftoppm)
  postgresql # the ledger's server database in the tests (scripts/postgres.sh runs its own cluster)
)

bash "$(dirname "$0")/apt-missing.sh" install-deps "${packages[@]}"

# Debian starts some of these daemons in the root namespace on install; the project runs its own
# copies inside the test LAN's namespaces only, so stop the root ones to keep the host quiet.
for svc in nginx vsftpd snmpd ssh dnsmasq postgresql; do
  if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
done

# The console's browser tests drive Debian's chromium with Playwright's driver (playwright-core
# from npm, pinned in tests/browser/package-lock.json; it downloads no browser).
command -v npm >/dev/null 2>&1 || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
}
browser_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if [ ! -f "$browser_dir/node_modules/playwright-core/package.json" ]; then
  echo "install-deps: installing playwright-core for the browser tests"
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

command -v cargo-nextest >/dev/null 2>&1 || {
  echo "install-deps: cargo-nextest missing; installing it from crates.io"
  cargo install --locked cargo-nextest
}
echo "install-deps: ok"
