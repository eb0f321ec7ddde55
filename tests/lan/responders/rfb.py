#!/usr/bin/env python3
"""VNC responder: the RFB 3.8 greeting, then VNC authentication that never succeeds."""

import os

import common


def handle(sock, _args):
    sock.sendall(b"RFB 003.008\n")
    client_version = common.recv_some(sock, 12)
    if not client_version.startswith(b"RFB "):
        return
    # One security type offered: 2 = VNC authentication.
    sock.sendall(bytes([1, 2]))
    if common.recv_some(sock, 1) != bytes([2]):
        return
    sock.sendall(os.urandom(16))  # challenge
    common.recv_some(sock, 16)
    reason = b"Authentication failed"
    sock.sendall((1).to_bytes(4, "big") + len(reason).to_bytes(4, "big") + reason)


def main():
    common.serve(common.parse_args(__doc__), handle)


if __name__ == "__main__":
    main()
