#!/usr/bin/env python3
"""Accuracy of service/OS identification against the test LAN's ground truth (stdlib only).

    score.py --truth truth.json --daicho report.json [--nmap nmap.xml] [--json]

Scored, for every role host of the truth (fillers have nothing to identify):
- each truth service except those named `hostile`: its name, and its product and version when
  the truth has one (a responder that only speaks a protocol has none);
- the host's OS family, unless the truth says `unknown`.
Rules, the same for both scanners:
- names are compared after mapping the usual nmap names to the contract's (domain -> dns,
  microsoft-ds -> smb, ms-wbt-server -> rdp, http over TLS -> https, ...);
- products match when one contains the other, case-insensitive, with `-`, `_` and `/` read
  as spaces ("Microsoft-IIS" matches "Microsoft IIS httpd");
- versions match when the reported version starts with the truth's as a whole token
  ("9.2p1 Debian 2+deb12u10" matches "9.2p1"; "7.50" does not match "7.5");
- a service the scanner did not report counts as wrong in every field.
Prints the table and the scores; with --json, a last line `SCORES {json}` for scripts.
"""

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET

NMAP_NAMES = {
    "domain": "dns",
    "microsoft-ds": "smb",
    "netbios-ssn": "netbios-ssn",
    "ms-wbt-server": "rdp",
    "http-proxy": "http",
    "http-alt": "http",
    "ssl/http": "https",
    "https-alt": "https",
    "hl7": "hl7-mllp",
    "dicom": "dicom",
    "acr-nema": "dicom",
    "vnc": "vnc",
}


def norm(text):
    return re.sub(r"\s+", " ", re.sub(r"[-_/]", " ", (text or "").lower())).strip()


def product_ok(truth, seen):
    t, s = norm(truth), norm(seen)
    return bool(s) and (t in s or s in t)


def version_ok(truth, seen):
    if not seen:
        return False
    seen = seen.strip()
    if not seen.startswith(truth):
        return False
    rest = seen[len(truth):]
    return rest == "" or not (rest[0].isalnum() or rest[0] == ".")


def nmap_family(osclasses):
    """The contract's family for nmap's best OS class."""
    for c in osclasses:
        fam = (c.get("osfamily") or "").lower()
        vendor = (c.get("vendor") or "").lower()
        kind = (c.get("type") or "").lower()
        if fam == "linux":
            return "linux"
        if fam == "windows":
            return "windows"
        if fam in ("fortios", "ios", "ios xe", "junos", "routeros") and vendor != "apple":
            return "network"
        if vendor == "apple" and fam == "ios":
            return "ios"
        if fam == "mac os x":
            return "macos"
        if fam == "android":
            return "android"
        if fam in ("freebsd", "openbsd", "netbsd"):
            return "bsd"
        if kind in ("switch", "router", "firewall", "wap", "broadband router", "load balancer"):
            return "network"
        if kind == "printer":
            return "printer"
    return "unknown"


def load_daicho(path):
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    hosts = {}
    for h in report["hosts"]:
        services = {}
        for s in h.get("services", []):
            services[(s["protocol"], s["port"])] = (s["name"], s.get("product"), s.get("version"))
        hosts[h["ip"]] = {"services": services, "family": (h.get("os") or {}).get("family")}
    return hosts


def load_nmap(path):
    hosts = {}
    for host in ET.parse(path).getroot().iter("host"):
        ip = next((a.get("addr") for a in host.iter("address") if a.get("addrtype") == "ipv4"),
                  None)
        if ip is None:
            continue
        services = {}
        for port in host.iter("port"):
            state = port.find("state")
            if state is None or state.get("state") not in ("open", "open|filtered"):
                continue
            svc = port.find("service")
            name, product, version = "unknown", None, None
            if svc is not None:
                name = svc.get("name") or "unknown"
                if svc.get("tunnel") == "ssl" and name in ("http", "http-alt", "https-alt"):
                    name = "https"
                name = NMAP_NAMES.get(name, name)
                product = svc.get("product")
                version = svc.get("version")
            services[(port.get("protocol"), int(port.get("portid")))] = (name, product, version)
        classes = [c.attrib for m in host.iter("osmatch") for c in m.iter("osclass")][:3]
        hosts[ip] = {"services": services, "family": nmap_family(classes)}
    return hosts


def score(truth, scans):
    """Rows of the table and per-scanner (correct, total) counts."""
    rows = []
    counts = {name: [0, 0] for name in scans}
    for host in truth["hosts"]:
        if host["role"] != "service":
            continue
        checks = []
        for s in host["services"]:
            if s["name"] == "hostile":
                continue
            key = (s["protocol"], s["port"])
            label = f'{s["port"]}/{s["protocol"]}'
            checks.append((label, "name", s["name"], lambda seen, want=s["name"]: seen == want, key, 0))
            if s["product"]:
                checks.append((label, "product", s["product"],
                               lambda seen, want=s["product"]: product_ok(want, seen), key, 1))
            if s["version"]:
                checks.append((label, "version", s["version"],
                               lambda seen, want=s["version"]: version_ok(want, seen), key, 2))
        for label, field, want, ok, key, index in checks:
            row = [host["name"], label, field, want]
            for name, found in scans.items():
                svc = found.get(host["ip"], {}).get("services", {}).get(key)
                seen = svc[index] if svc else None
                good = svc is not None and ok(seen)
                counts[name][0] += good
                counts[name][1] += 1
                row.append(("ok " if good else "XX ") + str(seen if svc else "(not found)"))
            rows.append(row)
        if host["os_family"] != "unknown":
            row = [host["name"], "host", "os family", host["os_family"]]
            for name, found in scans.items():
                seen = found.get(host["ip"], {}).get("family")
                good = seen == host["os_family"]
                counts[name][0] += good
                counts[name][1] += 1
                row.append(("ok " if good else "XX ") + str(seen))
            rows.append(row)
    return rows, counts


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--truth", required=True)
    parser.add_argument("--daicho", required=True)
    parser.add_argument("--nmap")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with open(args.truth, encoding="utf-8") as f:
        truth = json.load(f)
    scans = {"daicho": load_daicho(args.daicho)}
    if args.nmap:
        scans["nmap"] = load_nmap(args.nmap)
    rows, counts = score(truth, scans)
    header = ["host", "port", "field", "truth"] + list(scans)
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    widths = [min(w, 44) for w in widths]
    for r in [header] + rows:
        print("  ".join(str(c)[:44].ljust(w) for c, w in zip(r, widths)).rstrip())
    result = {}
    for name, (good, total) in counts.items():
        result[name] = {"correct": good, "total": total, "score": good / total if total else 0.0}
        print(f"{name}: {good}/{total} correct = {100.0 * good / max(total, 1):.1f} %")
    if args.json:
        print("SCORES " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
