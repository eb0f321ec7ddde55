#!/usr/bin/env bash
# Installs those of the Debian packages named that are not installed yet (root; `apt-get update`
# first, only when something is missing). Used by install-deps.sh and windows-agent.sh.
#   scripts/apt-missing.sh WHO PACKAGE...    (WHO names the caller in the messages)
set -euo pipefail
who="$1"
shift
if [ "$(id -u)" -ne 0 ]; then
  echo "$who: must run as root (it installs Debian packages)" >&2
  exit 1
fi
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "$who: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
