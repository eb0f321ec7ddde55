#!/usr/bin/env python3
"""Banner responder: imitates a product by what it says. With --greeting it sends that line on
connect (an old OpenSSH, an FTP server, ...); with --http-server it answers HTTP requests with
that Server header and a small page (an old IIS, ...)."""

import common


def extra(parser):
    parser.add_argument("--greeting", help="line sent on connect (CRLF appended)")
    parser.add_argument("--http-server", help="Server header of HTTP answers")
    parser.add_argument("--title", default="")


def handle(sock, args):
    if args.greeting:
        sock.sendall(args.greeting.encode() + b"\r\n")
        common.recv_some(sock, 4096)
        return
    request = common.recv_some(sock, 4096)
    if not request.startswith((b"GET ", b"HEAD ")):
        return
    page = f"<html><head><title>{args.title}</title></head><body></body></html>".encode()
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nServer: "
                 + args.http_server.encode() + b"\r\nX-Powered-By: ASP.NET\r\nContent-Length: "
                 + str(len(page)).encode() + b"\r\nConnection: close\r\n\r\n" + page)


def main():
    common.serve(common.parse_args(__doc__, extra), handle)


if __name__ == "__main__":
    main()
