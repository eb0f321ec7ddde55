#!/usr/bin/env python3
"""Telnet responder: option negotiation (IAC), a banner and a login prompt that never logs in."""

import common

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
OPT_ECHO, OPT_SGA, OPT_TTYPE, OPT_NAWS = 1, 3, 24, 31


def strip_iac(data):
    """Drop telnet commands from client input, keep the text."""
    out = bytearray()
    i = 0
    while i < len(data):
        b = data[i]
        if b == IAC and i + 1 < len(data):
            cmd = data[i + 1]
            if cmd in (DO, DONT, WILL, WONT):
                i += 3
                continue
            if cmd == SB:
                end = data.find(bytes([IAC, SE]), i)
                i = len(data) if end < 0 else end + 2
                continue
            i += 2
            continue
        out.append(b)
        i += 1
    return bytes(out)


def read_line(sock):
    """Read until CR or LF (or close); returns None when the client is gone."""
    buf = b""
    while len(buf) < 1024:
        data = common.recv_some(sock)
        if not data:
            return None
        buf += strip_iac(data)
        if b"\r" in buf or b"\n" in buf:
            return buf
    return buf


def handle(sock, args):
    # The server echoes and suppresses go-ahead, and asks for terminal type and window size,
    # as a typical embedded telnetd does.
    sock.sendall(bytes([IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DO, OPT_TTYPE, IAC, DO, OPT_NAWS]))
    sock.sendall(f"\r\n{args.banner}\r\n\r\n".encode())
    for _ in range(3):
        sock.sendall(b"login: ")
        if read_line(sock) is None:
            return
        sock.sendall(b"Password: ")
        if read_line(sock) is None:
            return
        sock.sendall(b"\r\nLogin incorrect\r\n\r\n")


def main():
    args = common.parse_args(__doc__, lambda p: p.add_argument("--banner", default="", help="text shown before the prompt"))
    common.serve(args, handle)


if __name__ == "__main__":
    main()
