#!/usr/bin/env python3
"""Hostile responder: a service that misbehaves on purpose, to prove the scanner bounds memory
and time and never panics. Modes:
  garbage   random bytes on connect, and after every read
  endless   an endless stream of data, as fast as the client reads
  huge      a 10 MB banner line, then silence
  badtls    answers a TLS ClientHello with a malformed ServerHello record
  badsmb    answers SMB with a truncated, inconsistent SMB2 header
  baddicom  answers an A-ASSOCIATE-RQ with an A-ASSOCIATE-AC whose item lengths lie
  silent    accepts and never sends anything (until the client leaves)"""

import os
import time

import common


def extra(parser):
    parser.add_argument("--mode", required=True,
                        choices=["garbage", "endless", "huge", "badtls", "badsmb", "baddicom",
                                 "silent"])


def handle(sock, args):
    mode = args.mode
    if mode == "garbage":
        for _ in range(8):
            sock.sendall(os.urandom(512))
            if not common.recv_some(sock, 4096):
                return
    elif mode == "endless":
        chunk = b"A" * 65536
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            sock.sendall(chunk)
    elif mode == "huge":
        sock.sendall(b"220 " + b"X" * (10 * 1024 * 1024) + b"\r\n")
        common.recv_some(sock, 4096)
    elif mode == "badtls":
        if common.recv_some(sock, 4096):
            # Handshake record claiming 16 KB, ServerHello with nonsense lengths, then garbage.
            sock.sendall(b"\x16\x03\x03\x40\x00\x02\xff\xff\xff\x03\x03" + os.urandom(64))
            common.recv_some(sock, 4096)
    elif mode == "badsmb":
        if common.recv_some(sock, 4096):
            sock.sendall(b"\x00\x00\x00\x50\xfeSMB\x40\x00" + os.urandom(20))
            common.recv_some(sock, 4096)
    elif mode == "baddicom":
        if common.recv_some(sock, 65536):
            # A-ASSOCIATE-AC, PDU length 0xffff but 30 bytes sent; items with lying lengths.
            body = b"\x00\x01\x00\x00" + b"A" * 16 + b"B" * 16 + b"\x00" * 32
            body += b"\x10\x00\xff\xff1.2.840" + b"\x50\x00\x00\x08\x52\x00\xff\xf0"
            sock.sendall(b"\x02\x00\x00\x00\xff\xff" + body)
            common.recv_some(sock, 4096)
    elif mode == "silent":
        while common.recv_some(sock, 4096):
            pass
        time.sleep(1)


def main():
    common.serve(common.parse_args(__doc__, extra), handle)


if __name__ == "__main__":
    main()
