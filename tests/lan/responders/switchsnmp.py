#!/usr/bin/env python3
"""A switch's SNMP v2c agent for the daicho test LAN (stdlib only).

Answers GET, GETNEXT and GETBULK with the LIVE state of one Linux bridge in the LAN's switch
namespace, read at each request (cached for a second) from `ip -j -d link` and
`bridge -j fdb`, so moving a host's veth to another bridge or port changes the answers:

  SNMPv2-MIB   sysDescr, sysObjectID, sysName
  IF-MIB       ifDescr, ifName, ifAlias of the bridge's ports (ifIndex = the kernel's ifindex)
  BRIDGE-MIB   dot1dBasePortIfIndex (port number = the bridge's port "no"),
               dot1dTpFdbAddress/Port/Status (learned = 3, the switch's own = 4)
  Q-BRIDGE-MIB dot1qTpFdbPort/Status in filtering database 1 (VLAN 1)
  LLDP-MIB     lldpLocChassisId(Subtype), lldpRemTable on the uplink port (the other switch)

Only the configured read-only community gets an answer; anything else is dropped, as snmpd
does. The configuration (JSON, written by lan.sh) names the namespace, bridge, community,
system strings, the management MAC (chassis id) and the LLDP neighbour of the uplink.
"""

import argparse
import json
import socket
import subprocess
import sys
import threading
import time

MAX_REPLY = 1400  # bytes: GETBULK answers stop before this, like an agent's tooBig guard
CACHE_SECONDS = 1.0

SYS = (1, 3, 6, 1, 2, 1, 1)
IF_DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_NAME = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)
IF_ALIAS = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18)
BASE_PORT_IFINDEX = (1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2)
TP_FDB = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1)
Q_TP_FDB = (1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1)
LLDP_LOC = (1, 0, 8802, 1, 1, 2, 1, 3)
LLDP_REM = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- BER


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([n])
    elif n < 0x100:
        head = bytes([0x81, n])
    else:
        head = bytes([0x82, n >> 8, n & 0xFF])
    return bytes([tag]) + head + content


def ber_int(n, tag=0x02):
    length = max(1, (n.bit_length() + 8) // 8)
    return tlv(tag, n.to_bytes(length, "big", signed=True))


def ber_oid(oid):
    out = bytearray([oid[0] * 40 + oid[1]])
    for arc in oid[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append((arc & 0x7F) | 0x80)
            arc >>= 7
        out.extend(reversed(chunk))
    return tlv(0x06, bytes(out))


def split(data):
    """(tag, content, rest) of the first element; ValueError when malformed."""
    if len(data) < 2:
        raise ValueError("short")
    tag, first = data[0], data[1]
    if first < 0x80:
        length, head = first, 2
    else:
        n = first & 0x7F
        if n == 0 or n > 3 or len(data) < 2 + n:
            raise ValueError("bad length")
        length, head = int.from_bytes(data[2:2 + n], "big"), 2 + n
    if len(data) < head + length:
        raise ValueError("truncated")
    return tag, data[head:head + length], data[head + length:]


def expect(data, tag):
    t, content, rest = split(data)
    if t != tag:
        raise ValueError(f"tag {t:#x}, wanted {tag:#x}")
    return content, rest


def decode_oid(content):
    if not content:
        raise ValueError("empty oid")
    first = content[0]
    arcs = [min(first // 40, 2), first - min(first // 40, 2) * 40]
    acc = 0
    for b in content[1:]:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(acc)
            acc = 0
    return tuple(arcs)


def value_bytes(value):
    kind, v = value
    if kind == "int":
        return ber_int(v)
    if kind == "str":
        return tlv(0x04, v.encode() if isinstance(v, str) else bytes(v))
    if kind == "oid":
        return ber_oid(v)
    raise ValueError(kind)


# ---------------------------------------------------------------- the bridge's state


def run_json(cmd):
    out = subprocess.run(cmd, capture_output=True, check=True, timeout=5).stdout
    return json.loads(out or b"[]")


def mac_arcs(mac):
    return tuple(int(x, 16) for x in mac.split(":"))


def mib(config):
    """The whole MIB view as a sorted list of (oid, value), from the bridge's live state."""
    ns, bridge = config["ns"], config["bridge"]
    links = run_json(["ip", "-n", ns, "-j", "-d", "link", "show"])
    fdb = run_json(["bridge", "-n", ns, "-j", "fdb", "show", "br", bridge])
    rows = {}
    rows[SYS + (1, 0)] = ("str", config["sys_descr"])
    rows[SYS + (2, 0)] = ("oid", tuple(int(a) for a in config["sys_object_id"].strip(".").split(".")))
    rows[SYS + (5, 0)] = ("str", config["sys_name"])
    port_no = {}  # ifname -> bridge port number
    for link in links:
        if link.get("master") != bridge:
            continue
        slave = link.get("linkinfo", {}).get("info_slave_data", {})
        if "no" not in slave:
            continue
        index, name, number = link["ifindex"], link["ifname"], int(slave["no"], 16)
        port_no[name] = number
        rows[IF_DESCR + (index,)] = ("str", name)
        rows[IF_NAME + (index,)] = ("str", name)
        rows[IF_ALIAS + (index,)] = ("str", link.get("ifalias", ""))
        rows[BASE_PORT_IFINDEX + (number,)] = ("int", index)
    for entry in fdb:
        port = port_no.get(entry.get("ifname"))
        if port is None or entry.get("master") != bridge:
            continue  # the bridge device's own multicast entries, other bridges
        mac = entry["mac"]
        if int(mac.split(":")[0], 16) & 1:
            continue  # group addresses are not stations
        status = 4 if entry.get("state") == "permanent" else 3
        key = mac_arcs(mac)
        rows[TP_FDB + (1,) + key] = ("str", bytes(key))
        rows[TP_FDB + (2,) + key] = ("int", port)
        rows[TP_FDB + (3,) + key] = ("int", status)
        rows[Q_TP_FDB + (2, 1) + key] = ("int", port)
        rows[Q_TP_FDB + (3, 1) + key] = ("int", status)
    rows[LLDP_LOC + (1, 0)] = ("int", 4)  # chassis id subtype: macAddress
    rows[LLDP_LOC + (2, 0)] = ("str", bytes(mac_arcs(config["chassis_mac"])))
    rows[LLDP_LOC + (3, 0)] = ("str", config["sys_name"])
    for peer in config.get("lldp", []):
        local = port_no.get(peer["port"])
        if local is None:
            continue  # the uplink is not (or no longer) on this bridge
        index = (0, local, 1)  # lldpRemTimeMark, lldpRemLocalPortNum, lldpRemIndex
        rows[LLDP_REM + (4,) + index] = ("int", 4)
        rows[LLDP_REM + (5,) + index] = ("str", bytes(mac_arcs(peer["chassis_mac"])))
        rows[LLDP_REM + (6,) + index] = ("int", 5)  # port id subtype: interfaceName
        rows[LLDP_REM + (7,) + index] = ("str", peer["port_id"])
        rows[LLDP_REM + (9,) + index] = ("str", peer["sys_name"])
    return sorted(rows.items())


class View:
    """The MIB view, rebuilt at most once a second (a walk is many requests)."""

    def __init__(self, config):
        self.config = config
        self.lock = threading.Lock()
        self.at = 0.0
        self.rows = []

    def current(self):
        with self.lock:
            if time.monotonic() - self.at > CACHE_SECONDS:
                self.rows = mib(self.config)
                self.at = time.monotonic()
            return self.rows


def get(rows, oid):
    for k, v in rows:
        if k == oid:
            return value_bytes(v)
    return b"\x81\x00"  # noSuchInstance


def next_after(rows, oid):
    for k, v in rows:
        if k > oid:
            return k, value_bytes(v)
    return oid, b"\x82\x00"  # endOfMibView


# ---------------------------------------------------------------- requests


def answer(data, community, view):
    """The response datagram for request `data`, or None to stay silent."""
    msg, _ = expect(data, 0x30)
    version, rest = expect(msg, 0x02)
    if int.from_bytes(version, "big") != 1:
        return None  # v2c only
    given, rest = expect(rest, 0x04)
    if given != community.encode():
        return None
    tag, pdu, _ = split(rest)
    if tag not in (0xA0, 0xA1, 0xA5):
        return None
    req_id, rest = expect(pdu, 0x02)
    a, rest = expect(rest, 0x02)
    b, rest = expect(rest, 0x02)
    binds, _ = expect(rest, 0x30)
    oids = []
    while binds:
        bind, binds = expect(binds, 0x30)
        oid, _ = expect(bind, 0x06)
        oids.append(decode_oid(oid))
    rows = view.current()
    out = []
    if tag == 0xA0:
        out = [(o, get(rows, o)) for o in oids]
    elif tag == 0xA1:
        out = [next_after(rows, o) for o in oids]
    else:
        non_rep = max(0, int.from_bytes(a, "big", signed=True))
        max_rep = max(0, int.from_bytes(b, "big", signed=True))
        out = [next_after(rows, o) for o in oids[:non_rep]]
        cursors = list(oids[non_rep:])
        size = sum(len(v) + 20 for _, v in out)
        for _ in range(max_rep):
            if not cursors:
                break
            step = []
            for i, o in enumerate(cursors):
                k, v = next_after(rows, o)
                step.append((k, v))
                cursors[i] = k
            grow = sum(len(ber_oid(k)) + len(v) + 4 for k, v in step)
            if out and size + grow > MAX_REPLY:
                break
            out.extend(step)
            size += grow
            if all(v == b"\x82\x00" for _, v in step):
                break
    varbinds = b"".join(tlv(0x30, ber_oid(k) + v) for k, v in out)
    body = tlv(0x02, req_id) + ber_int(0) + ber_int(0) + tlv(0x30, varbinds)
    return tlv(0x30, ber_int(1) + tlv(0x04, community.encode()) + tlv(0xA2, body))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--config", required=True, help="the switch's JSON configuration")
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as f:
        config = json.load(f)
    view = View(config)
    view.current()  # fail at start, not at the first request, if the bridge is unreadable
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.bind, args.port))
    log(f"switch {config['sys_name']} ({config['bridge']}) on {args.bind}:{args.port}/udp")
    while True:
        data, peer = sock.recvfrom(65535)
        try:
            reply = answer(data, config["community"], view)
        except (ValueError, IndexError, subprocess.SubprocessError, OSError) as err:
            log(f"{peer[0]}: {err}")
            continue
        if reply is not None:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    main()
