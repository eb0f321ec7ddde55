#!/usr/bin/env python3
"""Replay responder: answers every HTTP GET/HEAD with the bytes of a recorded reply, as they are
(e.g. a NetScaler Gateway's redirect to its login page from the fingerprint corpus), so the scan
reads on the wire what the recognition rules were tested on."""

import common


def extra(parser):
    parser.add_argument("--reply", required=True, help="file holding the whole HTTP reply")


def handle(sock, args):
    request = common.recv_some(sock, 4096)
    if request.startswith((b"GET ", b"HEAD ")):
        sock.sendall(args.reply_bytes)


def main():
    args = common.parse_args(__doc__, extra)
    with open(args.reply, "rb") as f:
        args.reply_bytes = f.read()
    common.serve(args, handle)


if __name__ == "__main__":
    main()
