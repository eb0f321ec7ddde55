#!/usr/bin/env python3
"""Hostile SNMP agent (UDP): answers every datagram with a malformed SNMP response: BER lengths
that overrun the datagram, a wrong request id, and random bytes."""

import argparse
import os
import socket


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, default=161)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.bind, args.port))
    replies = [
        b"\x30\x84\x7f\xff\xff\xff\x02\x01\x01",           # length far beyond the datagram
        b"\x30\x20\x02\x01\x01\x04\x06public\xa2\x13\x02\x04" + os.urandom(4),
        os.urandom(200),
    ]
    n = 0
    while True:
        _, peer = sock.recvfrom(65536)
        for r in replies[n % len(replies):] + replies[: n % len(replies)]:
            sock.sendto(r, peer)
        n += 1


if __name__ == "__main__":
    main()
