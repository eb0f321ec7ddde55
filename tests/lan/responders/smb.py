#!/usr/bin/env python3
"""SMB2 responder of a Windows-like host: answers NEGOTIATE (dialect 3.1.1 / 2.1) and the first
SESSION_SETUP with STATUS_MORE_PROCESSING_REQUIRED and an NTLMSSP CHALLENGE that carries the
Windows version and the NetBIOS/DNS names, as Windows does. Never authenticates anyone."""

import os
import struct

import common

STATUS_MORE_PROCESSING_REQUIRED = 0xC0000016


def extra(parser):
    parser.add_argument("--computer", required=True, help="NetBIOS computer name")
    parser.add_argument("--domain", required=True, help="NetBIOS domain name")
    parser.add_argument("--dns-domain", default="daicho.test")
    parser.add_argument("--os-version", default="10.0.17763", help="major.minor.build")


def recv_frame(sock):
    """One NetBIOS-session-framed SMB message, or None."""
    head = b""
    while len(head) < 4:
        chunk = common.recv_some(sock, 4 - len(head))
        if not chunk:
            return None
        head += chunk
    length = int.from_bytes(head[1:4], "big")
    if length > 65536:
        return None
    body = b""
    while len(body) < length:
        chunk = common.recv_some(sock, length - len(body))
        if not chunk:
            return None
        body += chunk
    return body


def send_frame(sock, body):
    sock.sendall(b"\x00" + len(body).to_bytes(3, "big") + body)


def header(command, status, message_id, session_id=0):
    return (b"\xfeSMB" + struct.pack("<HHIHHII", 64, 0, status, command, 1, 1, 0)
            + struct.pack("<QIIQ", message_id, 0xFEFF, 0, session_id) + b"\x00" * 16)


def av_pair(av_id, text):
    value = text.encode("utf-16-le")
    return struct.pack("<HH", av_id, len(value)) + value


def challenge(args):
    major, minor, build = (int(x) for x in args.os_version.split("."))
    target = args.domain.encode("utf-16-le")
    info = (av_pair(2, args.domain) + av_pair(1, args.computer)
            + av_pair(4, args.dns_domain) + av_pair(3, f"{args.computer.lower()}.{args.dns_domain}")
            + av_pair(5, args.dns_domain) + struct.pack("<HH", 0, 0))
    flags = 0xE2898215  # unicode, NTLM, target info, version, 128/56-bit, ...
    offset = 56
    msg = (b"NTLMSSP\x00" + struct.pack("<I", 2)
           + struct.pack("<HHI", len(target), len(target), offset)
           + struct.pack("<I", flags) + os.urandom(8) + b"\x00" * 8
           + struct.pack("<HHI", len(info), len(info), offset + len(target))
           + struct.pack("<BBHxxxB", major, minor, build, 15))
    return msg + target + info


def handle(sock, args):
    while True:
        body = recv_frame(sock)
        if body is None:
            return
        if body.startswith(b"\xffSMB"):
            return  # SMB1 is disabled, as on current Windows
        if not body.startswith(b"\xfeSMB") or len(body) < 64:
            return
        command = struct.unpack_from("<H", body, 12)[0]
        message_id = struct.unpack_from("<Q", body, 24)[0]
        if command == 0:  # NEGOTIATE
            resp = header(0, 0, message_id) + struct.pack(
                "<HHHH16sIIII", 65, 1, 0x0302, 0, os.urandom(16), 0x2F, 8 * 1024 * 1024,
                8 * 1024 * 1024, 8 * 1024 * 1024) + b"\x00" * 16 + struct.pack("<HHI", 128, 0, 0)
            send_frame(sock, resp)
        elif command == 1:  # SESSION_SETUP: answer with the challenge, never accept
            blob = challenge(args)
            resp = header(1, STATUS_MORE_PROCESSING_REQUIRED, message_id, 0x1000040000001) + \
                struct.pack("<HHHH", 9, 0, 64 + 8, len(blob)) + blob
            send_frame(sock, resp)
        else:
            return


def main():
    common.serve(common.parse_args(__doc__, extra), handle)


if __name__ == "__main__":
    main()
