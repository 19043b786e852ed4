#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A syslog collector for tests/syslog.test, standing in for rsyslog.

  syslog-listener.py tcp OUT     a TCP collector on 127.0.0.1 (its port on
                                 stdout): takes one connection, splits it
                                 by RFC 6587 octet counting, one JSON
                                 string per message in OUT (or an
                                 {"error": ...} line for bad framing)
  syslog-listener.py unix OUT PATH  a datagram socket at PATH ("ready" on
                                 stdout), one JSON string per datagram
  syslog-listener.py stall OUT   a TCP collector that accepts and never
                                 reads, with a small receive buffer
Each runs until SIGTERM (tcp: until the connection ends).
"""
import json
import signal
import socket
import sys
import time


def stop(signum, frame):
    sys.exit(0)


def tcp(out):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    print(s.getsockname()[1], flush=True)
    c, _ = s.accept()
    data = b""
    while True:
        b = c.recv(65536)
        if not b:
            break
        data += b
    with open(out, "w") as f:
        i = 0
        while i < len(data):
            sp = data.find(b" ", i)
            if sp < 0 or not data[i:sp].isdigit() or data[i:i + 1] == b"0":
                f.write(json.dumps({"error": "bad frame at %d" % i}) + "\n")
                return
            n = int(data[i:sp])
            msg = data[sp + 1:sp + 1 + n]
            if len(msg) != n:
                f.write(json.dumps({"error": "short frame at %d" % i}) + "\n")
                return
            f.write(json.dumps(msg.decode()) + "\n")
            i = sp + 1 + n


def unix(out, path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    print("ready", flush=True)
    with open(out, "w") as f:
        while True:
            msg = s.recv(1 << 20)
            f.write(json.dumps(msg.decode()) + "\n")
            f.flush()


def stall(out):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    print(s.getsockname()[1], flush=True)
    c, _ = s.accept()
    open(out, "w").write("accepted\n")
    while True:
        time.sleep(1)


signal.signal(signal.SIGTERM, stop)
{"tcp": lambda: tcp(sys.argv[2]), "unix": lambda: unix(sys.argv[2], sys.argv[3]),
 "stall": lambda: stall(sys.argv[2])}[sys.argv[1]]()
