"""Shared plumbing of the daicho test-LAN responders (stdlib only).

Each responder is a tiny TCP server bound to one address inside a host namespace. It serves
each connection in a thread, with a timeout so a silent client never holds it forever.
"""

import argparse
import socket
import socketserver
import sys

CLIENT_TIMEOUT = 60.0


def parse_args(description, extra=None):
    """The common --bind/--port arguments, plus whatever `extra(parser)` adds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bind", required=True, help="IPv4 address to listen on")
    parser.add_argument("--port", required=True, type=int, help="TCP port to listen on")
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def log(message):
    print(message, file=sys.stderr, flush=True)


def serve(args, handle):
    """Serve `handle(sock, args)` for each connection until killed."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.settimeout(CLIENT_TIMEOUT)
            try:
                handle(self.request, args)
            except (OSError, socket.timeout) as err:
                log(f"{self.client_address[0]}: {err}")

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    with Server((args.bind, args.port), Handler) as server:
        log(f"listening on {args.bind}:{args.port}")
        server.serve_forever()


def recv_some(sock, limit=4096):
    """One read; b"" on close or timeout."""
    try:
        return sock.recv(limit)
    except (socket.timeout, OSError):
        return b""
