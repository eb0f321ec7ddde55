#!/usr/bin/env python3
"""Build the ground-truth file of a daicho test LAN (stdlib only).

lan.sh writes what it created as small tab-separated records under the LAN's run directory;
this turns them into truth.json. MAC vendors are looked up here, in Debian's ieee-data
registry files, longest prefix first (MA-S/IAB 36 bits, MA-M 28 bits, MA-L 24 bits), so the
ground truth never depends on the product's own OUI code.
"""

import csv
import datetime
import json
import os
import sys

IEEE_DIR = os.environ.get("DAICHO_IEEE_DATA", "/usr/share/ieee-data")
# (file, number of hex digits of the assignment)
REGISTRIES = [("oui36.csv", 9), ("iab.csv", 9), ("mam.csv", 7), ("oui.csv", 6)]


def load_registry():
    """Map upper-case hex prefix -> organization name, for every registry file."""
    table = {}
    for name, digits in REGISTRIES:
        path = os.path.join(IEEE_DIR, name)
        with open(path, newline="", encoding="utf-8", errors="replace") as f:
            reader = csv.reader(f)
            next(reader, None)  # header
            for row in reader:
                if len(row) < 3:
                    continue
                prefix = row[1].strip().upper()
                if len(prefix) != digits:
                    continue
                table[prefix] = row[2].strip()
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
        randomized = is_locally_administered(mac)
        if randomized != expect_random:
            sys.exit(f"truth.py: MAC {mac}: locally administered bit is {randomized}, "
                     f"table asked for randomized={expect_random}")
        vendor = None if randomized else lookup_vendor(registry, mac)
        if not randomized and vendor is None:
            sys.exit(f"truth.py: MAC {mac} has no vendor in {IEEE_DIR}; fix the host table")
        return vendor, randomized

    hosts = []
    # hosts.tsv: name ns ip segment mac randomized(0/1) ttl os_family role hostname
    for row in read_tsv(os.path.join(run_dir, "hosts.tsv")):
        name, ns, ip, segment, mac, rnd, ttl, family, role, hostname = row
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
            "role": role,
            "hostname": none_if_dash(hostname),
            "services": services,
        })

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
    }
    out = os.path.join(run_dir, "truth.json")
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(truth, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
