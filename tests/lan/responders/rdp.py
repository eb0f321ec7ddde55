#!/usr/bin/env python3
"""RDP responder: answers the X.224 Connection Request with a Connection Confirm selecting TLS
(as Windows does when CredSSP is not required), then completes a TLS handshake with the host's
certificate (CN = computer name) and closes."""

import ssl
import struct

import common


def extra(parser):
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)


def handle(sock, args):
    head = common.recv_some(sock, 4)
    if len(head) < 4 or head[0] != 3:
        return
    length = struct.unpack(">H", head[2:4])[0]
    rest = b""
    while len(rest) < length - 4:
        chunk = common.recv_some(sock, length - 4 - len(rest))
        if not chunk:
            return
        rest += chunk
    if len(rest) < 2 or rest[1] & 0xF0 != 0xE0:
        return  # not a Connection Request
    # TPKT + X.224 CC + RDP_NEG_RSP selecting PROTOCOL_SSL (1).
    neg = struct.pack("<BBHI", 0x02, 0x1F, 8, 1)
    x224 = bytes([6 + len(neg), 0xD0, 0, 0, 0x12, 0x34, 0]) + neg
    sock.sendall(struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    try:
        tls = ctx.wrap_socket(sock, server_side=True)
        common.recv_some(tls, 4096)
        tls.close()
    except (ssl.SSLError, OSError):
        pass


def main():
    common.serve(common.parse_args(__doc__, extra), handle)


if __name__ == "__main__":
    main()
