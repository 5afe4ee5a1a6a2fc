#!/usr/bin/env python3
"""console-recv.py SOCKET OUT [SECONDS]

The receiving end of a runtime's --console-socket: accepts one connection,
takes the pty master sent with SCM_RIGHTS, and copies what the container
writes to its terminal into OUT until EOF or the time limit."""
import array
import os
import select
import socket
import sys
import time


def main():
    path, out = sys.argv[1], sys.argv[2]
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Bound under a temporary name and renamed, so the caller never sees a
    # socket that is not listening yet.
    tmp = path + ".tmp"
    srv.bind(tmp)
    srv.listen(1)
    os.rename(tmp, path)
    srv.settimeout(limit)
    conn, _ = srv.accept()
    fds = array.array("i")
    _, anc, _, _ = conn.recvmsg(1024, socket.CMSG_LEN(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    conn.close()
    if not fds:
        sys.exit("no descriptor received")
    master = fds[0]
    end = time.monotonic() + limit
    with open(out, "ab", buffering=0) as f:
        while time.monotonic() < end:
            r, _, _ = select.select([master], [], [], 0.2)
            if not r:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the last slave closed
                break
            if not data:
                break
            f.write(data)


if __name__ == "__main__":
    main()
