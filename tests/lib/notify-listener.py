#!/usr/bin/env python3
"""notify-listener.py SOCKET OUT

Plays the host's NOTIFY_SOCKET (systemd's side of sd_notify): binds the
AF_UNIX datagram socket SOCKET and appends every message it receives to
OUT, one per line with newlines inside a message shown as '|'. A message
with descriptors attached (BARRIER=1) has them closed at once, which is
how systemd answers a barrier. SOCKET.ready appears once it listens. It
stops by itself after a time limit, so a broken runtime cannot hang a test.
"""
import array
import os
import socket
import sys
import time

LIMIT = 60


def main():
    path, out = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    with open(path + ".ready", "w"):
        pass
    end = time.monotonic() + LIMIT
    while time.monotonic() < end:
        sock.settimeout(max(0.1, end - time.monotonic()))
        try:
            msg, anc, _, _ = sock.recvmsg(4096, socket.CMSG_LEN(16 * 4))
        except socket.timeout:
            break
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
                for fd in fds:
                    os.close(fd)
        with open(out, "a") as f:
            f.write(msg.decode(errors="replace").replace("\n", "|") + "\n")


if __name__ == "__main__":
    main()
