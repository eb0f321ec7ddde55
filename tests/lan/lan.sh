#!/usr/bin/env bash
# daicho test LAN: network namespaces joined by a bridge, with real services from Debian packages.
#
#   lan.sh up     --id ID [--hosts N] [--switches]
#                                       bring LAN ID up (tears down leftovers of ID first);
#                                       --switches: two SNMP-managed switches, one uplinked
#   lan.sh down   --id ID               stop its processes and delete its namespaces
#   lan.sh status --id ID               show what exists (exit 0 = up, 3 = down, 4 = partial)
#   lan.sh list                         ids of every test LAN that has namespaces (for cleanup)
#
# Everything of LAN ID lives in namespaces named dl-ID-*; nothing is added to the root namespace
# and there is no default route anywhere, so no packet can leave. See tests/lan/README.md.
set -euo pipefail

LAN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN_BASE=/run/daicho-lan
LAN_PREFIX=198.18.0
ROUTED_PREFIX=198.18.1
SCANNER_IP=$LAN_PREFIX.2
ROUTER_LAN_IP=$LAN_PREFIX.254
ROUTER_ROUTED_IP=$ROUTED_PREFIX.1
ROUTER_TTL=255
# Scanner: an Intel NIC; router: a YAMAHA RTX-style box (common in Japanese clinics).
SCANNER_MAC_PREFIX=ACED5C
ROUTER_MAC_PREFIX=00A0DE
MAX_LAN_HOSTS=244 # .10 .. .253
DNS_DOMAIN=daicho.test
DNS_SERVER="" # set by start_dns
PYTHON=${DAICHO_LAN_PYTHON:-/usr/bin/python3}
# Switch mode (--switches): br0 is the switch sw-core (its management address is sw-core's,
# .14); a second bridge br2 is the switch sw-2f (management address .253, a host added in this
# mode), uplinked to br0 by the veth pair up-2f (port of br0) / up-core (port of br2). The LAN
# hosts at SW2_OCTETS hang off br2. Each switch answers SNMP v2c (responders/switchsnmp.py)
# from its bridge's live state, to a read-only community made at bring-up.
SW2_NAME=sw-2f
SW2_OCTET=253
SW2_OCTETS=" 15 16 17 18 19 20 21 22 $SW2_OCTET "
SWITCH_COMMUNITY=""
[[ -x $PYTHON ]] || PYTHON=$(command -v python3 || true)

die() {
    echo "lan.sh: error: $*" >&2
    exit 1
}
note() { echo "lan.sh: $*" >&2; }

usage() {
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- arguments

CMD=${1:-}
[[ -n $CMD ]] || usage
shift
ID=""
HOSTS=""
SWITCHES=0
while (($#)); do
    case $1 in
    --id)
        ID=${2:-}
        shift 2 || die "--id needs a value"
        ;;
    --id=*)
        ID=${1#--id=}
        shift
        ;;
    --hosts)
        HOSTS=${2:-}
        shift 2 || die "--hosts needs a value"
        ;;
    --hosts=*)
        HOSTS=${1#--hosts=}
        shift
        ;;
    --switches)
        SWITCHES=1
        shift
        ;;
    -h | --help) usage ;;
    *) die "unknown argument '$1' (see lan.sh --help)" ;;
    esac
done
case $CMD in up | down | status | list) ;; -h | --help | help) usage ;; *) die "unknown command '$CMD' (up, down, status or list)" ;; esac
if [[ $CMD == list ]]; then
    [[ -z $ID && -z $HOSTS ]] || die "list takes no options"
    ip netns list 2>/dev/null | sed -n 's/^dl-\([a-z0-9]\{1,6\}\)-.*/\1/p' | sort -u
    exit 0
fi
[[ -n $ID ]] || die "--id ID is required"
[[ $ID =~ ^[a-z0-9]{1,6}$ ]] || die "invalid --id '$ID': use 1 to 6 characters from [a-z0-9]"
if [[ -n $HOSTS && $CMD != up ]]; then die "--hosts only applies to 'up'"; fi
if ((SWITCHES)) && [[ $CMD != up ]]; then die "--switches only applies to 'up'"; fi
((EUID == 0)) || die "must run as root (it creates network namespaces); try: sudo $0 $CMD --id $ID"

NS_PREFIX=dl-$ID-
SW_NS=${NS_PREFIX}sw
SCAN_NS=${NS_PREFIX}scan
RT_NS=${NS_PREFIX}rt
RUN_DIR=$RUN_BASE/$ID

# ---------------------------------------------------------------- helpers

# Our namespaces, one per line (only dl-ID-*, exact prefix match).
our_namespaces() {
    ip netns list 2>/dev/null | awk -v p="$NS_PREFIX" 'index($1, p) == 1 { print $1 }'
}

# Pids of every process whose network namespace is one of ours.
pids_in_our_namespaces() {
    local inodes ns
    inodes=""
    while read -r ns; do
        [[ -n $ns ]] || continue
        inodes+=" $(stat -L -c %i "/run/netns/$ns" 2>/dev/null || true)"
    done < <(our_namespaces)
    [[ -n ${inodes// /} ]] || return 0
    # One pass over /proc: "PID net:[INODE]".
    { find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' -printf '%h %l\n' 2>/dev/null || true; } |
        awk -v want="$inodes" '
            BEGIN { n = split(want, a, " "); for (i = 1; i <= n; i++) w["net:[" a[i] "]"] = 1 }
            ($2 in w) { split($1, p, "/"); print p[3] }'
}

# Start time (clock ticks since boot) of a pid, to recognise it again safely.
start_time() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }

# True while pid $1 runs (a zombie waiting for its new parent to reap it counts as gone).
running() {
    local state
    state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# The MAC for a host: registry prefix + bits derived from (segment, octet), or a randomized one.
# $1 prefix|random  $2 segment number (0 lan, 1 routed, 2 infra)  $3 octet
make_mac() {
    local prefix=$1 seg=$2 octet=$3 key hex rest
    key=$(((seg * 256 + octet) * 2654435761 + ${#ID} * 7919))
    if [[ $prefix == random ]]; then
        hex=$(printf '%012x' $(((key * 40503 + 0x5DEECE66D) & 0xFFFFFFFFFFFF)))
        # Locally administered, unicast: bit 1 set, bit 0 clear in the first octet.
        hex=$(printf '%02x' $(((0x${hex:0:2} & 0xFC) | 0x02)))${hex:2}
    else
        [[ $prefix =~ ^[0-9A-Fa-f]{6}([0-9A-Fa-f]|[0-9A-Fa-f]{3})?$ ]] || die "bad MAC prefix '$prefix'"
        rest=$((12 - ${#prefix}))
        hex=${prefix,,}$(printf "%0${rest}x" $((key & ((1 << (4 * rest)) - 1))))
    fi
    echo "${hex:0:2}:${hex:2:2}:${hex:4:2}:${hex:6:2}:${hex:8:2}:${hex:10:2}"
}

# Upstream version of an installed Debian package: strip epoch and Debian revision.
pkg_version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null; }
upstream_version() {
    local v=$1
    v=${v#*:}
    echo "${v%-*}"
}

# Run a command in a namespace, without the /sys remount of `ip netns exec` (faster).
in_ns() {
    local ns=$1
    shift
    nsenter --net="/run/netns/$ns" "$@"
}

# Start a long-running process in namespace $1, logging to $2; records its pid.
# Usage: spawn NS LOGFILE LABEL cmd args...
spawn() {
    local ns=$1 log=$2 label=$3 pid
    shift 3
    nsenter --net="/run/netns/$ns" "$@" </dev/null >>"$log" 2>&1 9>&- &
    pid=$!
    echo "$pid $(start_time "$pid" || echo 0) $ns $label" >>"$RUN_DIR/pids"
}

# Wait until something listens on proto/ip/port inside ns ($5 = log to show on failure).
wait_listening() {
    local ns=$1 proto=$2 ip=$3 port=$4 log=$5 flag i
    [[ $proto == tcp ]] && flag=-Hltn || flag=-Hlun
    for ((i = 0; i < 200; i++)); do
        if in_ns "$ns" ss "$flag" "src $ip:$port or src 0.0.0.0:$port" 2>/dev/null | grep -q .; then
            return 0
        fi
        sleep 0.05
    done
    note "service on $proto $ip:$port in $ns did not start; last log lines of $log:"
    tail -n 20 "$log" >&2 || true
    die "service start failed"
}

# Append one service to the host's ground truth.
# $1 host name  $2 port $3 protocol $4 name $5 product $6 version $7 package
record_service() {
    local host=$1 port=$2 proto=$3 name=$4 product=$5 version=$6 package=$7 pv="-"
    [[ $package != - ]] && pv=$(pkg_version "$package")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$port" "$proto" "$name" "$product" "$version" "$package" "$pv" \
        >>"$RUN_DIR/services/$host.tsv"
}

# ---------------------------------------------------------------- services
# Each start_<kind> HOST NS IP DIR [PORT] starts one service and records its truth.
# Product and version come from the installed packages, read at bring-up.

start_ssh() {
    local host=$1 ns=$2 ip=$3 dir=$4 port=${5:-22} ver
    mkdir -p /run/sshd # privilege-separation directory sshd insists on
    ssh-keygen -q -t ed25519 -N '' -C "$host" -f "$dir/ssh_host_ed25519_key" </dev/null
    cat >"$dir/sshd_config" <<EOF
ListenAddress $ip:$port
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
UsePAM no
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile none
PrintMotd no
EOF
    spawn "$ns" "$dir/sshd.log" sshd /usr/sbin/sshd -D -e -f "$dir/sshd_config"
    wait_listening "$ns" tcp "$ip" "$port" "$dir/sshd.log"
    ver=$(upstream_version "$(pkg_version openssh-server)")
    record_service "$host" "$port" tcp ssh OpenSSH "$ver" openssh-server
}

start_http() {
    local host=$1 ns=$2 ip=$3 dir=$4 port=${5:-80} ver
    mkdir -p "$dir/www" "$dir/nginx-tmp"
    printf '<!doctype html>\n<html><head><title>%s</title></head><body><h1>%s</h1></body></html>\n' \
        "$host" "$host" >"$dir/www/index.html"
    cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir/nginx-tmp/body;
    proxy_temp_path $dir/nginx-tmp/proxy;
    fastcgi_temp_path $dir/nginx-tmp/fastcgi;
    uwsgi_temp_path $dir/nginx-tmp/uwsgi;
    scgi_temp_path $dir/nginx-tmp/scgi;
    server {
        listen $ip:$port;
        server_name $host;
        root $dir/www;
        index index.html;
    }
}
EOF
    spawn "$ns" "$dir/nginx.log" nginx /usr/sbin/nginx -e "$dir/nginx.log" -p "$dir" -c "$dir/nginx.conf"
    wait_listening "$ns" tcp "$ip" "$port" "$dir/nginx.log"
    ver=$(/usr/sbin/nginx -v 2>&1 | sed -n 's|^nginx version: nginx/\([0-9.]*\).*|\1|p')
    [[ -n $ver ]] || die "cannot read the nginx version from 'nginx -v'"
    local pkg=nginx-light
    dpkg-query -W nginx-light >/dev/null 2>&1 || pkg=nginx
    record_service "$host" "$port" tcp http nginx "$ver" "$pkg"
}

start_ftp() {
    local host=$1 ns=$2 ip=$3 dir=$4 port=${5:-21} ver
    mkdir -p "$dir/ftp-root" "$dir/ftp-empty"
    chmod 555 "$dir/ftp-root" "$dir/ftp-empty"
    cat >"$dir/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$ip
listen_port=$port
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$dir/ftp-root
ftp_username=nobody
local_enable=NO
write_enable=NO
secure_chroot_dir=$dir/ftp-empty
xferlog_enable=NO
vsftpd_log_file=$dir/vsftpd.log
EOF
    spawn "$ns" "$dir/vsftpd.log" vsftpd /usr/sbin/vsftpd "$dir/vsftpd.conf"
    wait_listening "$ns" tcp "$ip" "$port" "$dir/vsftpd.log"
    ver=$(upstream_version "$(pkg_version vsftpd)")
    record_service "$host" "$port" tcp ftp vsftpd "$ver" vsftpd
}

start_snmp() {
    local host=$1 ns=$2 ip=$3 dir=$4 port=${5:-161} ver descr
    mkdir -p "$dir/snmp-persist"
    descr="Linux $host $(uname -r) $(uname -m)"
    cat >"$dir/snmpd.conf" <<EOF
agentaddress udp:$ip:$port
rocommunity public 198.18.0.0/16
sysDescr $descr
sysName $host
sysLocation daicho test LAN $ID
sysContact lan@$DNS_DOMAIN
sysServices 72
EOF
    echo "$descr" >"$dir/snmp-sysdescr"
    SNMP_PERSISTENT_DIR=$dir/snmp-persist MIBS="" \
        spawn "$ns" "$dir/snmpd.log" snmpd /usr/sbin/snmpd -f -C -c "$dir/snmpd.conf" -Lf "$dir/snmpd.log" \
        -p "$dir/snmpd.pid"
    wait_listening "$ns" udp "$ip" "$port" "$dir/snmpd.log"
    ver=$(/usr/sbin/snmpd -v 2>/dev/null | sed -n 's/^NET-SNMP version: *\([0-9.]*\).*/\1/p')
    [[ -n $ver ]] || die "cannot read the snmpd version from 'snmpd -v'"
    record_service "$host" "$port" udp snmp Net-SNMP "$ver" snmpd
}

start_dicom() {
    local host=$1 ns=$2 ip=$3 dir=$4 port=${5:-104} ver aet
    mkdir -p "$dir/dicom-$port"
    aet=$(echo "${host//-/_}" | tr '[:lower:]' '[:upper:]' | cut -c1-16)
    spawn "$ns" "$dir/storescp-$port.log" storescp /usr/bin/storescp --aetitle "$aet" \
        --output-directory "$dir/dicom-$port" "$port"
    wait_listening "$ns" tcp "$ip" "$port" "$dir/storescp-$port.log"
    ver=$(/usr/bin/storescp --version 2>/dev/null | sed -n 's/.*storescp v\([0-9.]*\).*/\1/p' | head -n1)
    [[ -n $ver ]] || die "cannot read the DCMTK version from 'storescp --version'"
    record_service "$host" "$port" tcp dicom DCMTK "$ver" dcmtk
}

# DNS for the LAN (dnsmasq): A and PTR records for the role hosts and the router, nothing else,
# never forwarded (no upstream servers). The scanner's resolv.conf points at it, through
# /etc/netns/dl-ID-scan/resolv.conf (which `ip netns exec` mounts over /etc/resolv.conf).
start_dns() {
    local host=$1 ns=$2 ip=$3 dir=$4 port=${5:-53} ver i hip
    [[ -x /usr/sbin/dnsmasq ]] || die "dnsmasq is needed for the dns service (apt-get install dnsmasq-base)"
    {
        echo "$ROUTER_LAN_IP router.$DNS_DOMAIN router"
        for ((i = 0; i < ${#H_NAME[@]}; i++)); do
            [[ ${H_ROLE[$i]} == service ]] || continue
            [[ ${H_SEG[$i]} == lan ]] && hip=$LAN_PREFIX.${H_OCTET[$i]} || hip=$ROUTED_PREFIX.${H_OCTET[$i]}
            echo "$hip ${H_NAME[$i]}.$DNS_DOMAIN ${H_NAME[$i]}"
        done
    } >"$dir/dns-hosts"
    spawn "$ns" "$dir/dnsmasq.log" dnsmasq /usr/sbin/dnsmasq --keep-in-foreground --log-facility=- \
        --conf-file=/dev/null --no-resolv --no-hosts --no-poll --addn-hosts="$dir/dns-hosts" \
        --domain="$DNS_DOMAIN" --local="/$DNS_DOMAIN/" --listen-address="$ip" --bind-interfaces \
        --port="$port" --user=root --group=root --pid-file="$dir/dnsmasq.pid" --no-dhcp-interface=eth0
    wait_listening "$ns" udp "$ip" "$port" "$dir/dnsmasq.log"
    wait_listening "$ns" tcp "$ip" "$port" "$dir/dnsmasq.log"
    ver=$(/usr/sbin/dnsmasq --version | sed -n 's/^Dnsmasq version \([0-9.]*\).*/\1/p')
    [[ -n $ver ]] || die "cannot read the dnsmasq version"
    record_service "$host" "$port" udp dns dnsmasq "$ver" dnsmasq-base
    record_service "$host" "$port" tcp dns dnsmasq "$ver" dnsmasq-base
    mkdir -p "/etc/netns/$SCAN_NS"
    printf 'nameserver %s\nsearch %s\n' "$ip" "$DNS_DOMAIN" >"/etc/netns/$SCAN_NS/resolv.conf"
    DNS_SERVER=$ip
}

# Responders (tests/lan/responders/*.py) stand in for what no Debian package provides.
# Usage: start_responder HOST NS IP DIR PORT SCRIPT SERVICE_NAME PRODUCT VERSION [script args...]
# PRODUCT/VERSION are "-" (null in the truth) for responders that only speak a protocol; a
# responder that imitates a product (a device's banner, certificate, ...) passes what it claims.
start_responder() {
    local host=$1 ns=$2 ip=$3 dir=$4 port=$5 script=$6 name=$7 product=$8 version=$9
    shift 9
    [[ -f $LAN_DIR/responders/$script.py ]] || die "no responder $script.py in $LAN_DIR/responders"
    spawn "$ns" "$dir/$script-$port.log" "$script" "$PYTHON" -B -u "$LAN_DIR/responders/$script.py" \
        --bind "$ip" --port "$port" "$@"
    wait_listening "$ns" tcp "$ip" "$port" "$dir/$script-$port.log"
    record_service "$host" "$port" tcp "$name" "$product" "$version" -
}
start_telnet() { start_responder "$1" "$2" "$3" "$4" "${5:-23}" telnet telnet - - --banner "$1"; }
start_vnc() { start_responder "$1" "$2" "$3" "$4" "${5:-5900}" rfb vnc - -; }
start_hl7() { start_responder "$1" "$2" "$3" "$4" "${5:-2575}" mllp hl7-mllp - -; }
# An iPhone's lockdownd (Wi-Fi sync): it accepts and waits for the client's plist.
start_lockdown() {
    start_responder "$1" "$2" "$3" "$4" "${5:-62078}" hostile iphone-sync - - --mode silent
}

# The OS a role host imitates (name and version), for the truth beside its family.
record_os() { # HOST NAME VERSION
    mkdir -p "$RUN_DIR/os"
    printf '%s\t%s\n' "$2" "$3" >"$RUN_DIR/os/$1.tsv"
}

# A self-signed certificate made at bring-up. Usage: make_cert DIR BASENAME SUBJECT
make_cert() {
    command -v openssl >/dev/null || die "openssl is needed for TLS responders (apt-get install openssl)"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
        -subj "$3" -keyout "$1/$2.key" -out "$1/$2.crt" >"$1/$2.openssl.log" 2>&1 ||
        die "openssl could not make a certificate for $3 (see $1/$2.openssl.log)"
}

netbios_name() { echo "$1" | tr '[:lower:]' '[:upper:]' | cut -c1-15; }

# Windows-like host (Windows Server 2019, build 17763): SMB2 with an NTLM challenge, RDP.
start_smb() {
    start_responder "$1" "$2" "$3" "$4" "${5:-445}" smb smb "Microsoft Windows" 10.0.17763 \
        --computer "$(netbios_name "$1")" --domain DAICHO --os-version 10.0.17763
    record_os "$1" Windows 10.0.17763
}
start_rdp() {
    make_cert "$4" rdp "/CN=$(netbios_name "$1")"
    start_responder "$1" "$2" "$3" "$4" "${5:-3389}" rdp rdp "Microsoft Terminal Services" - \
        --cert "$4/rdp.crt" --key "$4/rdp.key"
}

# FortiGate-style appliance: the web admin's self-signed certificate, and SNMP (real snmpd) with
# a FortiGate sysDescr and Fortinet sysObjectID. Fortinet's PSIRT advisories put FortiOS 6.0.4
# inside four known-exploited SSL-VPN ranges: CVE-2018-13379 (FG-IR-18-384, 6.0.0-6.0.4),
# CVE-2022-42475 (FG-IR-22-398, 6.0.0-6.0.15), CVE-2023-27997 (FG-IR-23-097, 6.0.0-6.0.16),
# CVE-2024-21762 (FG-IR-24-015, 6.0 all versions).
start_fgthttps() {
    make_cert "$4" fgt "/C=US/ST=California/L=Sunnyvale/O=Fortinet/OU=FortiGate/CN=FGT60E4Q17012345/emailAddress=support@fortinet.com"
    start_responder "$1" "$2" "$3" "$4" "${5:-443}" tlsweb https FortiGate - \
        --cert "$4/fgt.crt" --key "$4/fgt.key"
    record_os "$1" FortiOS 6.0.4
    record_exploited "$1" CVE-2018-13379 CVE-2022-42475 CVE-2023-27997 CVE-2024-21762
}
start_fgtsnmp() {
    start_device_snmp "$1" "$2" "$3" "$4" "${5:-161}" Fortinet 78 .1.3.6.1.4.1.12356.101.1.560 \
        "FortiGate-60E v6.0.4,build0231,190109 (GA)"
    record_device "$1" Fortinet FortiGate-60E firewall
}

# A device's SNMP agent: real snmpd answering (community public) with the maker's sysDescr and
# sysObjectID. Usage: start_device_snmp HOST NS IP DIR PORT PRODUCT SYSSERVICES OBJECTID DESCR
start_device_snmp() {
    local host=$1 ns=$2 ip=$3 dir=$4 port=$5 product=$6 services=$7 oid=$8 descr=$9
    mkdir -p "$dir/snmp-persist"
    printf '%s\n' "agentaddress udp:$ip:$port" "rocommunity public 198.18.0.0/16" "sysDescr $descr" \
        "sysObjectID $oid" "sysName $host" "sysLocation daicho test LAN $ID" \
        "sysServices $services" >"$dir/snmpd.conf"
    echo "$descr" >"$dir/snmp-sysdescr"
    SNMP_PERSISTENT_DIR=$dir/snmp-persist MIBS="" \
        spawn "$ns" "$dir/snmpd.log" snmpd /usr/sbin/snmpd -f -C -c "$dir/snmpd.conf" -Lf "$dir/snmpd.log" \
        -p "$dir/snmpd.pid"
    wait_listening "$ns" udp "$ip" "$port" "$dir/snmpd.log"
    record_service "$host" "$port" udp snmp "$product" - -
}

# What a role host is, as its maker names it (vendor, model, kind of device), for the truth.
record_device() { # HOST VENDOR MODEL KIND
    mkdir -p "$RUN_DIR/device"
    printf '%s\t%s\t%s\n' "$2" "$3" "$4" >"$RUN_DIR/device/$1.tsv"
}
# The known-exploited flaws (CVE ids) whose affected ranges, in the maker's advisories, hold the
# firmware the host imitates, for the truth.
record_exploited() { # HOST CVE...
    local host=$1
    shift
    mkdir -p "$RUN_DIR/exploited"
    printf '%s\n' "$@" >"$RUN_DIR/exploited/$host.tsv"
}

# Japanese network gear. sysDescr/sysObjectID as the fingerprint corpus records them (sources in
# crates/daicho-fingerprint/fuzz/corpus/expect.toml): YAMAHA RT-series firmware banner
# "MODEL Rev.X.YY.ZZ (build date)", yamaha(1182) routers under .1182.1 (RTX1210 = .1182.1.33),
# switches under yamahaSW(3); NEC UNIVERGE IX `show version` text, IX2207 = .119.1.84.18.
# sysServices: 6 (layers 2+3) for the routers, 2 (layer 2) for the switch. No firmware of
# these is in a known-exploited range.
start_rtxsnmp() {
    start_device_snmp "$1" "$2" "$3" "$4" "${5:-161}" YAMAHA 6 .1.3.6.1.4.1.1182.1.33 \
        "RTX1210 Rev.14.01.42 (Fri Jan 13 10:24:21 2023)"
    record_os "$1" "YAMAHA RTX1210" 14.01.42
    record_device "$1" YAMAHA RTX1210 router
}
start_swxsnmp() {
    start_device_snmp "$1" "$2" "$3" "$4" "${5:-161}" YAMAHA 2 .1.3.6.1.4.1.1182.3 \
        "SWX2310P-10G Rev.2.02.31 (Mon Apr  1 12:00:00 2024)"
    record_os "$1" "YAMAHA SWX2310P-10G" 2.02.31
    record_device "$1" YAMAHA SWX2310P-10G switch
}
start_ixsnmp() {
    start_device_snmp "$1" "$2" "$3" "$4" "${5:-161}" NEC 6 .1.3.6.1.4.1.119.1.84.18 \
        "NEC Portable Internetwork Core Operating System Software, IX Series IX2207 (magellan-sec) Software, Version 9.7.15, RELEASE SOFTWARE, Compiled Mar 13-Tue-2018 18:15:04 JST #2"
    record_os "$1" "NEC UNIVERGE IX2207" 9.7.15
    record_device "$1" NEC "UNIVERGE IX2207" router
}

# SSL-VPN appliance on an exploited firmware: NetScaler ADC/Gateway 13.1 build 49.12 (sysDescr
# in NS-ROOT-MIB's sysBuildVersion wording, sysObjectID netScaler(5951).1), and its Gateway's
# login redirect replayed from the fingerprint corpus. Citrix's CVE records put 13.1-49.12
# inside three known-exploited ranges: CVE-2023-3519 (CTX561482, 13.1 before 13.1-49.13),
# CVE-2023-4966 (CTX579459, before 13.1-49.15), CVE-2025-5777 (CTX693420, before 13.1-58.32).
start_nssnmp() {
    start_device_snmp "$1" "$2" "$3" "$4" "${5:-161}" Citrix 72 .1.3.6.1.4.1.5951.1 \
        "NetScaler NS13.1: Build 49.12.nc, Date: Jun 20 2023, 03:38:47   (64-bit)"
    record_os "$1" "Citrix NetScaler" 13.1-49.12
    record_device "$1" Citrix "NetScaler ADC" "vpn gateway"
    record_exploited "$1" CVE-2023-3519 CVE-2023-4966 CVE-2025-5777
}
start_nshttp() {
    local port=${5:-80}
    # The host directory keeps the bytes served (http-reply-PORT), for the LAN's own check.
    cp "$LAN_DIR/../../crates/daicho-fingerprint/fuzz/corpus/http/netscaler.txt" "$4/http-reply-$port"
    start_responder "$1" "$2" "$3" "$4" "$port" replay http "NetScaler Gateway" - \
        --reply "$4/http-reply-$port"
}

# Old OpenSSH of Ubuntu 16.04 (xenial), by its banner.
start_oldssh() {
    start_responder "$1" "$2" "$3" "$4" "${5:-22}" banner ssh OpenSSH 7.2p2 \
        --greeting "SSH-2.0-OpenSSH_7.2p2 Ubuntu-4ubuntu2.10"
    record_os "$1" Ubuntu 16.04
}
# Old IIS 7.5 (Windows Server 2008 R2), by its Server header.
start_iis() {
    start_responder "$1" "$2" "$3" "$4" "${5:-80}" banner http Microsoft-IIS 7.5 \
        --http-server Microsoft-IIS/7.5 --title "$1"
    record_os "$1" "Windows Server 2008 R2" 6.1
}

# Hostile services: the truth names them `hostile` (nothing to identify; the scan must survive).
start_hostile() { # HOST NS IP DIR PORT MODE
    start_responder "$1" "$2" "$3" "$4" "$5" hostile hostile - - --mode "$6"
}
start_garbage() { start_hostile "$1" "$2" "$3" "$4" "${5:-21}" garbage; }
start_endless() { start_hostile "$1" "$2" "$3" "$4" "${5:-25}" endless; }
start_hugebanner() { start_hostile "$1" "$2" "$3" "$4" "${5:-110}" huge; }
start_badtls() { start_hostile "$1" "$2" "$3" "$4" "${5:-443}" badtls; }
start_badsmb() { start_hostile "$1" "$2" "$3" "$4" "${5:-445}" badsmb; }
start_baddicom() { start_hostile "$1" "$2" "$3" "$4" "${5:-104}" baddicom; }
start_silent() { start_hostile "$1" "$2" "$3" "$4" "${5:-8080}" silent; }
# A managed switch's SNMP agent (--switches): responders/switchsnmp.py in the switch's
# management host, answering from its bridge in the switch namespace; LLDP names the other
# switch on the uplink. The community is the LAN's read-only one (truth: switches).
start_switchsnmp() {
    local host=$1 ns=$2 ip=$3 dir=$4 port=${5:-161} bridge uplink peer peer_port i mac="" peer_mac=""
    case $host in
    sw-core) bridge=br0 uplink=up-2f peer=$SW2_NAME peer_port=up-core ;;
    "$SW2_NAME") bridge=br2 uplink=up-core peer=sw-core peer_port=up-2f ;;
    *) die "switchsnmp: $host is not one of the test LAN's switches" ;;
    esac
    for ((i = 0; i < ${#H_NAME[@]}; i++)); do
        [[ ${H_NAME[$i]} == "$host" ]] && mac=${H_MAC[$i]}
        [[ ${H_NAME[$i]} == "$peer" ]] && peer_mac=${H_MAC[$i]}
    done
    [[ -n $mac && -n $peer_mac && -n $SWITCH_COMMUNITY ]] || die "switchsnmp: $host: no MAC or community"
    cat >"$dir/switch.json" <<EOF
{"ns": "$SW_NS", "bridge": "$bridge", "community": "$SWITCH_COMMUNITY",
 "sys_name": "$host", "sys_descr": "daicho test LAN switch $host (Linux bridge $bridge)",
 "sys_object_id": ".1.3.6.1.4.1.8072.3.2.10", "chassis_mac": "$mac",
 "lldp": [{"port": "$uplink", "chassis_mac": "$peer_mac", "port_id": "$peer_port", "sys_name": "$peer"}]}
EOF
    chmod 600 "$dir/switch.json"
    spawn "$ns" "$dir/switchsnmp-$port.log" switchsnmp "$PYTHON" -B -u "$LAN_DIR/responders/switchsnmp.py" \
        --bind "$ip" --port "$port" --config "$dir/switch.json"
    wait_listening "$ns" udp "$ip" "$port" "$dir/switchsnmp-$port.log"
    printf '%s\t%s\t%s\t%s\t%s\n' "$host" "$ip" "$mac" "$bridge" "$uplink" >>"$RUN_DIR/switches.tsv"
    record_service "$host" "$port" udp snmp - - -
}
start_badsnmp() {
    local host=$1 ns=$2 ip=$3 dir=$4 port=${5:-161}
    spawn "$ns" "$dir/badsnmp-$port.log" badsnmp "$PYTHON" -B -u "$LAN_DIR/responders/badsnmp.py" \
        --bind "$ip" --port "$port"
    wait_listening "$ns" udp "$ip" "$port" "$dir/badsnmp-$port.log"
    record_service "$host" "$port" udp hostile - - -
}

# ---------------------------------------------------------------- down / status

cmd_down() {
    local t0 pids=() line pid st label ns nss
    t0=$(now_ms)
    # 1. Processes recorded at bring-up, if their start time still matches (pid reuse safety).
    if [[ -f $RUN_DIR/pids ]]; then
        while read -r pid st ns label; do
            [[ -n $pid ]] || continue
            if running "$pid" && [[ $(start_time "$pid" || true) == "$st" ]]; then pids+=("$pid"); fi
        done <"$RUN_DIR/pids"
    fi
    # 2. Anything else running inside our namespaces (e.g. a scan a test started there).
    while read -r pid; do
        [[ -n $pid && " ${pids[*]} " != *" $pid "* ]] && pids+=("$pid")
    done < <(pids_in_our_namespaces)
    if ((${#pids[@]})); then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        local i alive
        for ((i = 0; i < 60; i++)); do
            alive=()
            for pid in "${pids[@]}"; do running "$pid" && alive+=("$pid"); done
            ((${#alive[@]})) || break
            sleep 0.05
        done
        if ((${#alive[@]})); then
            kill -KILL "${alive[@]}" 2>/dev/null || true
            sleep 0.1
        fi
    fi
    # Anything forked meanwhile (e.g. an sshd session) would keep a deleted namespace alive.
    local late=()
    while read -r pid; do [[ -n $pid ]] && late+=("$pid"); done < <(pids_in_our_namespaces)
    if ((${#late[@]})); then
        kill -KILL "${late[@]}" 2>/dev/null || true
        pids+=("${late[@]}")
        sleep 0.1
    fi
    # 3. Namespaces: the switch first (it holds the bridge ends of every veth), then the rest.
    mapfile -t nss < <(our_namespaces)
    if ((${#nss[@]})); then
        local batch
        batch=$(mktemp)
        for ns in "${nss[@]}"; do [[ $ns == "$SW_NS" ]] && echo "netns del $ns"; done >"$batch"
        for ns in "${nss[@]}"; do [[ $ns != "$SW_NS" ]] && echo "netns del $ns"; done >>"$batch"
        ip -force -batch "$batch" >/dev/null 2>&1 || true
        rm -f "$batch"
    fi
    rm -rf "/etc/netns/$SCAN_NS"
    local left
    left=$(our_namespaces | wc -l)
    ((left == 0)) || die "could not delete $left namespace(s): $(our_namespaces | tr '\n' ' ')"
    rm -rf "$RUN_DIR"
    note "down $ID: stopped ${#pids[@]} process(es), deleted ${#nss[@]} namespace(s) in $(($(now_ms) - t0)) ms"
}

cmd_status() {
    local n procs
    n=$(our_namespaces | wc -l)
    procs=$(pids_in_our_namespaces | wc -l)
    echo "id:          $ID"
    echo "namespaces:  $n (dl-$ID-*)"
    echo "processes:   $procs"
    if [[ -f $RUN_DIR/truth.json ]]; then
        echo "truth:       $RUN_DIR/truth.json"
        echo "state:       $(cat "$RUN_DIR/state" 2>/dev/null || echo unknown)"
    fi
    if ((n == 0)); then
        echo "status:      down"
        return 3
    fi
    if [[ -f $RUN_DIR/truth.json && $(cat "$RUN_DIR/state" 2>/dev/null) == up ]]; then
        echo "status:      up"
        return 0
    fi
    echo "status:      partial (run: lan.sh down --id $ID)"
    return 4
}

# ---------------------------------------------------------------- up

# Host list rows: name segment octet mac_prefix ttl os_family services role
declare -a H_NAME H_SEG H_OCTET H_MACP H_TTL H_FAMILY H_SERVICES H_ROLE

load_hosts() {
    local name seg octet macp ttl family services extra used=() n_lan=0 i
    while read -r name seg octet macp ttl family services extra; do
        [[ -z $name || $name == \#* ]] && continue
        [[ -z ${extra:-} && -n $services ]] || die "hosts.tsv: bad row for '$name' (7 columns expected)"
        [[ $name =~ ^[a-z0-9-]+$ ]] || die "hosts.tsv: bad name '$name'"
        [[ $seg == lan || $seg == routed ]] || die "hosts.tsv: $name: segment must be lan or routed"
        [[ $octet =~ ^[0-9]+$ ]] && ((octet >= 10 && octet <= 253)) || die "hosts.tsv: $name: octet $octet not in 10..253"
        [[ $ttl =~ ^[0-9]+$ ]] && ((ttl >= 1 && ttl <= 255)) || die "hosts.tsv: $name: bad ttl $ttl"
        [[ " ${used[*]} " != *" $seg/$octet "* ]] || die "hosts.tsv: $name: address $seg .$octet used twice"
        used+=("$seg/$octet")
        H_NAME+=("$name") H_SEG+=("$seg") H_OCTET+=("$octet") H_MACP+=("$macp") H_TTL+=("$ttl")
        H_FAMILY+=("$family") H_SERVICES+=("$services") H_ROLE+=(service)
        [[ $seg == lan ]] && n_lan=$((n_lan + 1))
    done <"$LAN_DIR/hosts.tsv"
    if ((SWITCHES)); then
        for ((i = 0; i < ${#H_NAME[@]}; i++)); do
            [[ ${H_NAME[$i]} == sw-core ]] && H_SERVICES[i]+=,switchsnmp
        done
        [[ " ${H_SERVICES[*]} " == *switchsnmp* ]] || die "hosts.tsv: --switches needs the host sw-core"
        [[ " ${used[*]} " != *" lan/$SW2_OCTET "* ]] || die "hosts.tsv: --switches needs .$SW2_OCTET free"
        H_NAME+=("$SW2_NAME") H_SEG+=(lan) H_OCTET+=("$SW2_OCTET") H_MACP+=(0000F4) H_TTL+=(255)
        H_FAMILY+=(network) H_SERVICES+=(switchsnmp) H_ROLE+=(service)
        used+=("lan/$SW2_OCTET")
        n_lan=$((n_lan + 1))
    fi

    local want=${HOSTS:-$n_lan}
    [[ $want =~ ^[0-9]+$ ]] || die "--hosts must be a number"
    ((want >= n_lan)) || die "--hosts $want is fewer than the $n_lan role hosts of hosts.tsv on the LAN segment"
    ((want <= MAX_LAN_HOSTS)) || die "--hosts $want: the LAN segment holds at most $MAX_LAN_HOSTS hosts (.10-.253)"

    local fm=() ft=() ff=() f1 f2 f3 f4
    while read -r f1 f2 f3 f4; do
        [[ -z $f1 || $f1 == \#* ]] && continue
        fm+=("$f1") ft+=("$f2") ff+=("$f3")
    done <"$LAN_DIR/filler.tsv"
    ((${#fm[@]})) || die "filler.tsv is empty"
    local k=0
    for ((octet = 10; octet <= 253 && n_lan < want; octet++)); do
        [[ " ${used[*]} " == *" lan/$octet "* ]] && continue
        i=$((k % ${#fm[@]}))
        H_NAME+=("filler-$octet") H_SEG+=(lan) H_OCTET+=("$octet") H_MACP+=("${fm[$i]}")
        H_TTL+=("${ft[$i]}") H_FAMILY+=("${ff[$i]}") H_SERVICES+=(-) H_ROLE+=(filler)
        k=$((k + 1)) n_lan=$((n_lan + 1))
    done
}

host_ns() { # seg octet
    if [[ $1 == lan ]]; then printf '%sh%03d' "$NS_PREFIX" "$2"; else printf '%sr%03d' "$NS_PREFIX" "$2"; fi
}

cmd_up() {
    local t0 t1 i n ns ip mac seg
    t0=$(now_ms)
    [[ -n $PYTHON && -x $PYTHON ]] || die "python3 not found (needed for the responders and truth.json)"
    for tool in ip nsenter ss ssh-keygen dpkg-query /usr/sbin/sshd /usr/sbin/nginx /usr/sbin/vsftpd \
        /usr/sbin/snmpd /usr/bin/storescp "$LAN_DIR/../../crates/daicho-oui/data/ieee-prefixes.tsv"; do
        [[ -e $tool ]] || command -v "$tool" >/dev/null || die "missing $tool (see tests/lan/README.md for the packages)"
    done

    if [[ -n $(our_namespaces) || -d $RUN_DIR ]]; then
        note "LAN $ID exists already (leftovers?): tearing it down first"
        cmd_down
    fi
    n=${#H_NAME[@]}
    mkdir -p "$RUN_DIR/services" "$RUN_DIR/hosts"
    chmod 755 "$RUN_BASE" "$RUN_DIR"
    echo starting >"$RUN_DIR/state"
    : >"$RUN_DIR/pids"
    # If anything below fails, say so and leave nothing half-built behind.
    trap 'rc=$?; if ((rc)); then note "bring-up of $ID failed (exit $rc): tearing down"; cmd_down || true; rm -f "$RUN_BASE/$ID.lock"; fi' EXIT
    trap 'exit 130' INT TERM HUP # so an interrupted bring-up also tears down

    # 1. Namespaces, in one batch.
    local batch=$RUN_DIR/batch
    {
        echo "netns add $SW_NS"
        echo "netns add $SCAN_NS"
        echo "netns add $RT_NS"
        for ((i = 0; i < n; i++)); do echo "netns add $(host_ns "${H_SEG[$i]}" "${H_OCTET[$i]}")"; done
    } >"$batch"
    ip -batch "$batch" || die "creating namespaces failed"

    # 2. Per-namespace sysctls: no IPv6 (keeps captures quiet), the host's TTL, forwarding on the router.
    local nov6=(net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1)
    in_ns "$SW_NS" sysctl -q -w "${nov6[@]}"
    in_ns "$SCAN_NS" sysctl -q -w "${nov6[@]}"
    in_ns "$RT_NS" sysctl -q -w "${nov6[@]}" net.ipv4.ip_forward=1 net.ipv4.ip_default_ttl=$ROUTER_TTL
    for ((i = 0; i < n; i++)); do
        in_ns "$(host_ns "${H_SEG[$i]}" "${H_OCTET[$i]}")" sysctl -q -w "${nov6[@]}" \
            "net.ipv4.ip_default_ttl=${H_TTL[$i]}"
    done

    # 3. Switch: two bridges (LAN, routed segment) and the switch end of every veth. Each veth is
    #    created directly between the switch and the host namespace: nothing touches the root ns.
    local scan_mac rt_lan_mac rt_routed_mac
    scan_mac=$(make_mac $SCANNER_MAC_PREFIX 2 2)
    rt_lan_mac=$(make_mac $ROUTER_MAC_PREFIX 2 254)
    rt_routed_mac=$(make_mac $ROUTER_MAC_PREFIX 3 1)
    declare -a H_MAC H_SWITCH H_PORT
    {
        echo "link add br0 type bridge"
        echo "link add br1 type bridge"
        echo "link set br0 up"
        echo "link set br1 up"
        echo "link set lo up"
        echo "link add scan type veth peer name eth0 address $scan_mac netns $SCAN_NS"
        echo "link add rt0 type veth peer name eth0 address $rt_lan_mac netns $RT_NS"
        echo "link add rt1 type veth peer name eth1 address $rt_routed_mac netns $RT_NS"
        echo "link set scan master br0 up"
        echo "link set rt0 master br0 up"
        echo "link set rt1 master br1 up"
        if ((SWITCHES)); then
            echo "link add br2 type bridge"
            echo "link set br2 up"
            echo "link add up-2f type veth peer name up-core"
            echo "link set up-2f alias uplink-to-$SW2_NAME master br0 up"
            echo "link set up-core alias uplink-to-sw-core master br2 up"
        fi
        for ((i = 0; i < n; i++)); do
            seg=${H_SEG[$i]}
            local segn=0 port br=br0
            [[ $seg == routed ]] && segn=1 br=br1
            H_SWITCH[i]=- H_PORT[i]=-
            if ((SWITCHES)) && [[ $seg == lan ]]; then
                H_SWITCH[i]=sw-core
                [[ $SW2_OCTETS == *" ${H_OCTET[$i]} "* ]] && br=br2 H_SWITCH[i]=$SW2_NAME
            fi
            mac=$(make_mac "${H_MACP[$i]}" $segn "${H_OCTET[$i]}")
            H_MAC[i]=$mac
            port=$(printf '%s%03d' "${seg:0:1}" "${H_OCTET[$i]}")
            echo "link add $port type veth peer name eth0 address $mac netns $(host_ns "$seg" "${H_OCTET[$i]}")"
            echo "link set $port master $br up"
            [[ ${H_SWITCH[$i]} == - ]] || H_PORT[i]=$port
        done
    } >"$batch"
    ip -n "$SW_NS" -batch "$batch" || die "creating the switch and veths failed"

    # 4. Addresses and routes inside each namespace (one ip process per namespace).
    printf '%s\n' "link set lo up" "addr add $SCANNER_IP/24 dev eth0" "link set eth0 up" \
        "route add $ROUTED_PREFIX.0/24 via $ROUTER_LAN_IP" | ip -n "$SCAN_NS" -batch -
    printf '%s\n' "link set lo up" "addr add $ROUTER_LAN_IP/24 dev eth0" "addr add $ROUTER_ROUTED_IP/24 dev eth1" \
        "link set eth0 up" "link set eth1 up" | ip -n "$RT_NS" -batch -
    for ((i = 0; i < n; i++)); do
        ns=$(host_ns "${H_SEG[$i]}" "${H_OCTET[$i]}")
        if [[ ${H_SEG[$i]} == lan ]]; then
            printf '%s\n' "link set lo up" "addr add $LAN_PREFIX.${H_OCTET[$i]}/24 dev eth0" "link set eth0 up" \
                "route add $ROUTED_PREFIX.0/24 via $ROUTER_LAN_IP"
        else
            printf '%s\n' "link set lo up" "addr add $ROUTED_PREFIX.${H_OCTET[$i]}/24 dev eth0" "link set eth0 up" \
                "route add $LAN_PREFIX.0/24 via $ROUTER_ROUTED_IP"
        fi | ip -n "$ns" -batch -
    done
    t1=$(now_ms)
    note "network of $ID ($n hosts) built in $((t1 - t0)) ms; starting services"

    # 5. Services, per role host.
    if ((SWITCHES)); then
        SWITCH_COMMUNITY=ro-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
        : >"$RUN_DIR/switches.tsv"
    fi
    local kind spec port dir
    for ((i = 0; i < n; i++)); do
        [[ ${H_SERVICES[$i]} == - ]] && continue
        ns=$(host_ns "${H_SEG[$i]}" "${H_OCTET[$i]}")
        [[ ${H_SEG[$i]} == lan ]] && ip=$LAN_PREFIX.${H_OCTET[$i]} || ip=$ROUTED_PREFIX.${H_OCTET[$i]}
        dir=$RUN_DIR/hosts/${H_NAME[$i]}
        mkdir -p "$dir"
        IFS=, read -r -a specs <<<"${H_SERVICES[$i]}"
        for spec in "${specs[@]}"; do
            kind=${spec%%:*}
            port=""
            [[ $spec == *:* ]] && port=${spec#*:}
            declare -F "start_$kind" >/dev/null || die "hosts.tsv: ${H_NAME[$i]}: unknown service kind '$kind'"
            "start_$kind" "${H_NAME[$i]}" "$ns" "$ip" "$dir" $port
        done
    done

    # 6. Ground truth.
    {
        printf 'id\t%s\n' "$ID"
        printf 'lan_cidr\t%s\n' "$LAN_PREFIX.0/24"
        printf 'routed_cidr\t%s\n' "$ROUTED_PREFIX.0/24"
        printf 'switch_ns\t%s\n' "$SW_NS"
        printf 'scanner_ns\t%s\n' "$SCAN_NS"
        printf 'scanner_ip\t%s\n' "$SCANNER_IP"
        printf 'scanner_mac\t%s\n' "$scan_mac"
        printf 'router_ns\t%s\n' "$RT_NS"
        printf 'router_lan_ip\t%s\n' "$ROUTER_LAN_IP"
        printf 'router_lan_mac\t%s\n' "$rt_lan_mac"
        printf 'router_routed_ip\t%s\n' "$ROUTER_ROUTED_IP"
        printf 'router_routed_mac\t%s\n' "$rt_routed_mac"
        printf 'router_ttl\t%s\n' "$ROUTER_TTL"
        printf 'dns_server\t%s\n' "${DNS_SERVER:--}"
        printf 'switch_community\t%s\n' "${SWITCH_COMMUNITY:--}"
    } >"$RUN_DIR/meta.tsv"
    {
        local rt_name=-
        [[ -n $DNS_SERVER ]] && rt_name=router.$DNS_DOMAIN
        local rt_switch=- rt_port=-
        ((SWITCHES)) && rt_switch=sw-core rt_port=rt0
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' router "$RT_NS" "$ROUTER_LAN_IP" lan \
            "$rt_lan_mac" 0 "$ROUTER_TTL" network router "$rt_name" "$rt_switch" "$rt_port"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' router-routed "$RT_NS" "$ROUTER_ROUTED_IP" \
            routed "$rt_routed_mac" 0 "$ROUTER_TTL" network router - - -
        for ((i = 0; i < n; i++)); do
            [[ ${H_SEG[$i]} == lan ]] && ip=$LAN_PREFIX.${H_OCTET[$i]} || ip=$ROUTED_PREFIX.${H_OCTET[$i]}
            local rnd=0 hn=-
            [[ ${H_MACP[$i]} == random ]] && rnd=1
            [[ -n $DNS_SERVER && ${H_ROLE[$i]} == service ]] && hn=${H_NAME[$i]}.$DNS_DOMAIN
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${H_NAME[$i]}" \
                "$(host_ns "${H_SEG[$i]}" "${H_OCTET[$i]}")" "$ip" "${H_SEG[$i]}" "${H_MAC[$i]}" "$rnd" \
                "${H_TTL[$i]}" "${H_FAMILY[$i]}" "${H_ROLE[$i]}" "$hn" "${H_SWITCH[$i]}" "${H_PORT[$i]}"
        done
    } >"$RUN_DIR/hosts.tsv"
    "$PYTHON" -B "$LAN_DIR/truth.py" "$RUN_DIR" || die "writing truth.json failed"
    rm -f "$batch"
    echo up >"$RUN_DIR/state"
    trap - EXIT INT TERM HUP
    note "up $ID: $n hosts + scanner + router in $(($(now_ms) - t0)) ms; truth: $RUN_DIR/truth.json"
    echo "$RUN_DIR/truth.json"
}

# ---------------------------------------------------------------- main

lock_id() {
    mkdir -p "$RUN_BASE"
    exec 9>"$RUN_BASE/$ID.lock"
    flock 9 # one up/down per LAN id at a time
}
case $CMD in
up)
    load_hosts # validates --hosts and the tables before anything is touched
    lock_id
    cmd_up
    ;;
down)
    lock_id
    cmd_down
    # The lock file goes too, so per-test ids do not pile up in /run/daicho-lan.
    rm -f "$RUN_BASE/$ID.lock"
    ;;
status) cmd_status ;;
esac
