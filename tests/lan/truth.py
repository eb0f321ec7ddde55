#!/usr/bin/env python3
"""Build the ground-truth file of a daicho test LAN (stdlib only).

lan.sh writes what it created as small tab-separated records under the LAN's run directory;
this turns them into truth.json. MAC vendors are looked up here, in the IEEE registry as
published by npm's oui-data package (MA-L/MA-M/MA-S) plus the closed IAB list: the shipped
file crates/daicho-oui/data/ieee-prefixes.tsv that crates/daicho-oui/data/generate.py makes
from them, read by this script's own code, longest prefix first (36, 28, 24 bits), so the
ground truth never depends on the product's OUI code. Virtual machines' NICs under a
virtualisation platform's prefix are named from the platform's documentation (VIRTUAL below).
"""

import datetime
import json
import os
import sys

LAN_DIR = os.path.dirname(os.path.abspath(__file__))
REGISTRY_TSV = os.environ.get(
    "DAICHO_REGISTRY_TSV",
    os.path.join(LAN_DIR, "..", "..", "crates", "daicho-oui", "data", "ieee-prefixes.tsv"),
)
# Platform prefixes the host tables use, with what the platform's documentation says a MAC
# under it is: a virtual machine's NIC, named by the platform, never randomized.
VIRTUAL = {
    # QEMU's default NIC prefix (net/net.c qemu_macaddr_default_if_unset); libvirt generates
    # 52:54:00:xx:xx:xx for QEMU/KVM guests. Locally administered, yet not randomized.
    "525400": "QEMU/KVM virtual machine",
    # vSphere Networking: vCenter-assigned and static MACs are 00:50:56:xx:yy:zz; an ESXi host
    # without vCenter generates 00:0C:29 + bytes of the VM's UUID.
    "005056": "VMware virtual machine",
    "000C29": "VMware virtual machine",
    # Microsoft: Hyper-V's dynamic MAC address range is 00-15-5D-xx-xx-xx.
    "00155D": "Hyper-V virtual machine",
}


def load_registry():
    """Map upper-case hex prefix -> registrant name, from the generated registry file."""
    table = {}
    with open(REGISTRY_TSV, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            prefix, _, name = line.rstrip("\n").partition("\t")
            if len(prefix) in (6, 7, 9) and name:
                table[prefix.upper()] = name
    return table


def lookup_vendor(registry, mac):
    """Registry name of the longest registered prefix of `mac`, or None."""
    digits = mac.replace(":", "").upper()
    for n in (9, 7, 6):
        name = registry.get(digits[:n])
        if name is not None:
            return name
    return None


def is_locally_administered(mac):
    return bool(int(mac[:2], 16) & 0x02)


def read_tsv(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                rows.append(line.split("\t"))
    return rows


def none_if_dash(value):
    return None if value in ("", "-") else value


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: truth.py RUN_DIR")
    run_dir = sys.argv[1]
    registry = load_registry()
    meta = dict(read_tsv(os.path.join(run_dir, "meta.tsv")))

    def vendor_of(mac, expect_random):
        platform = VIRTUAL.get(mac.replace(":", "").upper()[:6])
        randomized = is_locally_administered(mac) and platform is None
        if randomized != expect_random:
            sys.exit(f"truth.py: MAC {mac}: randomized is {randomized}, "
                     f"table asked for randomized={expect_random}")
        if platform is not None:
            return platform, False
        vendor = None if randomized else lookup_vendor(registry, mac)
        if not randomized and vendor is None:
            sys.exit(f"truth.py: MAC {mac} has no vendor in {REGISTRY_TSV}; fix the host table")
        return vendor, randomized

    hosts = []
    # hosts.tsv: name ns ip segment mac randomized(0/1) ttl os_family role hostname switch port
    # (switch and port: the managed switch and its port name the host's veth is on, "-" = none)
    for row in read_tsv(os.path.join(run_dir, "hosts.tsv")):
        name, ns, ip, segment, mac, rnd, ttl, family, role, hostname, switch, switch_port = row
        vendor, randomized = vendor_of(mac, rnd == "1")
        services = []
        # services/<name>.tsv: port protocol name product version package package_version
        for srow in read_tsv(os.path.join(run_dir, "services", name + ".tsv")):
            port, proto, sname, product, version, package, package_version = srow
            services.append({
                "port": int(port),
                "protocol": proto,
                "name": sname,
                "product": none_if_dash(product),
                "version": none_if_dash(version),
                "package": none_if_dash(package),
                "package_version": none_if_dash(package_version),
            })
        services.sort(key=lambda s: (s["protocol"], s["port"]))
        # os/<name>.tsv: name and version of the OS the host imitates (absent: family only)
        os_rows = read_tsv(os.path.join(run_dir, "os", name + ".tsv"))
        os_name, os_version = (os_rows[0] + ["-", "-"])[:2] if os_rows else ("-", "-")
        # device/<name>.tsv: vendor, model and kind as the maker names them (absent: none)
        device_rows = read_tsv(os.path.join(run_dir, "device", name + ".tsv"))
        device = None
        if device_rows:
            dvendor, dmodel, dkind = device_rows[0]
            device = {"vendor": dvendor, "model": dmodel, "kind": dkind}
        # exploited/<name>.tsv: CVE ids of known-exploited flaws its firmware is affected by
        exploited = sorted(row[0] for row in
                           read_tsv(os.path.join(run_dir, "exploited", name + ".tsv")))
        hosts.append({
            "name": name,
            "ns": ns,
            "ip": ip,
            "segment": segment,
            "mac": mac,
            "vendor": vendor,
            "mac_randomized": randomized,
            "ttl": int(ttl),
            "os_family": family,
            "os_name": none_if_dash(os_name),
            "os_version": none_if_dash(os_version),
            "device": device,
            "known_exploited": exploited,
            "role": role,
            "hostname": none_if_dash(hostname),
            "switch": none_if_dash(switch),
            "port": none_if_dash(switch_port),
            "services": services,
        })

    # switches.tsv (--switches): name ip mac bridge uplink_port of each managed switch; its SNMP
    # answers to the LAN's read-only community.
    community = none_if_dash(meta.get("switch_community", "-"))
    switches = [
        {"name": name, "ip": ip, "mac": mac, "bridge": bridge, "uplink_port": uplink,
         "community": community}
        for name, ip, mac, bridge, uplink in read_tsv(os.path.join(run_dir, "switches.tsv"))
    ]
    scanner_mac = meta["scanner_mac"]
    router_lan_mac = meta["router_lan_mac"]
    router_routed_mac = meta["router_routed_mac"]
    truth = {
        "format": 1,
        "id": meta["id"],
        "created_at": datetime.datetime.now(datetime.timezone.utc)
        .replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "run_dir": run_dir,
        "lan_cidr": meta["lan_cidr"],
        "routed_cidr": meta["routed_cidr"],
        "switch_ns": meta["switch_ns"],
        "dns_server": none_if_dash(meta.get("dns_server", "-")),
        "scanner": {
            "ns": meta["scanner_ns"],
            "iface": "eth0",
            "ip": meta["scanner_ip"],
            "mac": scanner_mac,
            "vendor": vendor_of(scanner_mac, False)[0],
        },
        "router": {
            "ns": meta["router_ns"],
            "lan_ip": meta["router_lan_ip"],
            "lan_mac": router_lan_mac,
            "routed_ip": meta["router_routed_ip"],
            "routed_mac": router_routed_mac,
            "vendor": vendor_of(router_lan_mac, False)[0],
            "ttl": int(meta["router_ttl"]),
        },
        "hosts": hosts,
        "switches": switches,
    }
    out = os.path.join(run_dir, "truth.json")
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(truth, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
