#!/usr/bin/env python3
"""HL7 MLLP responder: accepts connections and stays silent, as an HL7 interface engine does
until it receives a framed message. It never sends anything; input is read and discarded."""

import common


def handle(sock, _args):
    while common.recv_some(sock):
        pass


def main():
    common.serve(common.parse_args(__doc__), handle)


if __name__ == "__main__":
    main()
