#!/usr/bin/env python3
"""HTTPS responder of an appliance: TLS with the certificate given (e.g. a FortiGate-style
self-signed one), then a login page redirect like the appliance's web admin."""

import ssl

import common


def extra(parser):
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--location", default="/remote/login?lang=en")


def handle(sock, args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    try:
        tls = ctx.wrap_socket(sock, server_side=True)
    except (ssl.SSLError, OSError):
        return
    request = common.recv_some(tls, 4096)
    if request.startswith((b"GET ", b"HEAD ")):
        tls.sendall(b"HTTP/1.1 302 Found\r\nLocation: " + args.location.encode()
                    + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    try:
        tls.close()
    except OSError:
        pass


def main():
    common.serve(common.parse_args(__doc__, extra), handle)


if __name__ == "__main__":
    main()
