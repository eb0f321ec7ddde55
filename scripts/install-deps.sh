#!/usr/bin/env bash
# Installs what building and testing daicho needs on a fresh Debian machine: the real services the
# test LAN runs (from Debian packages) and the anchor tools the benchmarks compare against.
# Idempotent: installs only what is missing. Needs root.
set -euo pipefail

packages=(
  iproute2 util-linux procps psmisc iputils-ping python3 openssl # test LAN plumbing and small responders
  openssh-server nginx-light vsftpd snmpd snmp dcmtk dnsmasq-base # real services in the LAN
  tcpdump nmap arp-scan # packet capture in tests; anchor tools for benchmarks
  ieee-data # the IEEE registry the LAN's ground truth is checked against
  chromium fonts-noto-cjk poppler-utils # print the checklist evidence HTML to PDF in tests and read it back
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (it installs Debian packages)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian starts some of these daemons in the root namespace on install; the project runs its own
# copies inside the test LAN's namespaces only, so stop the root ones to keep the host quiet.
for svc in nginx vsftpd snmpd ssh dnsmasq; do
  if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
done

command -v cargo-nextest >/dev/null 2>&1 || {
  echo "install-deps: cargo-nextest missing; installing it from crates.io"
  cargo install --locked cargo-nextest
}
echo "install-deps: ok"
