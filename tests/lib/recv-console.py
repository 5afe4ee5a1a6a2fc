#!/usr/bin/env python3
"""recv-console.py SOCKET OUTFILE [INPUT]

The receiving end of --console-socket: listens on the unix socket SOCKET,
takes the pty master that the runtime sends with SCM_RIGHTS, optionally
writes INPUT to it, and copies everything the container prints to OUTFILE
until the container side of the pty is closed. It writes the name that came
with the fd to OUTFILE.name. Gives up after 60 seconds.
"""
import errno
import os
import select
import socket
import sys
import time

DEADLINE = 60


def main():
    path, outfile = sys.argv[1], sys.argv[2]
    data = sys.argv[3] if len(sys.argv) > 3 else None
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)  # the test waits for the socket file to appear
    srv.listen(1)
    srv.settimeout(DEADLINE)
    conn, _ = srv.accept()
    msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 4)
    conn.close()
    srv.close()
    if len(fds) != 1:
        print(f"recv-console: got {len(fds)} fds", file=sys.stderr)
        return 1
    with open(outfile + ".name", "w") as f:
        f.write(msg.decode(errors="replace"))
    master = fds[0]
    if data is not None:
        os.write(master, data.encode())
    end = time.monotonic() + DEADLINE
    with open(outfile, "wb", buffering=0) as out:
        while time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError as e:
                # EIO: every slave descriptor is closed, the container is done.
                if e.errno == errno.EIO:
                    break
                raise
            if not chunk:
                break
            out.write(chunk)
    return 0


if __name__ == "__main__":
    sys.exit(main())
