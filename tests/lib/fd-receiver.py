#!/usr/bin/env python3
"""fd-receiver.py MODE SOCKET OUT [INPUT]

Listens on the AF_UNIX stream socket SOCKET, accepts one connection and
takes the file descriptor the runtime sends there with SCM_RIGHTS: the
master end of a pty (--console-socket) or a pidfd (--pidfd-socket).

MODE pty: writes INPUT (if given) to the master, then copies everything the
master yields to OUT until the slave side is closed by every process (EIO).
MODE pidfd: writes the fd's "Pid:" line of /proc/self/fdinfo to OUT, then
waits (up to the time limit) for that process to exit and appends "exited".

SOCKET.ready appears once the socket listens, so a test knows it can start
the runtime. The name the runtime sends with the fd goes to OUT.name.
Everything is bounded in time, so a broken runtime cannot hang a test.
"""
import array
import os
import select
import socket
import sys
import time

LIMIT = 60


def receive(path):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(LIMIT)
    with open(path + ".ready", "w"):
        pass
    conn, _ = srv.accept()
    conn.settimeout(LIMIT)
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_LEN(4 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    conn.close()
    srv.close()
    if len(fds) != 1:
        sys.exit("fd-receiver: expected one fd, got %d" % len(fds))
    return fds[0], msg.decode(errors="replace")


def copy_pty(master, out, data):
    if data:
        os.write(master, data.encode())
    deadline = time.monotonic() + LIMIT
    with open(out, "ab") as f:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: no process holds the slave any more
                break
            if not chunk:
                break
            f.write(chunk)
            f.flush()


def watch_pidfd(fd, out):
    pid = ""
    with open("/proc/self/fdinfo/%d" % fd) as info:
        for line in info:
            if line.startswith("Pid:"):
                pid = line.split()[1]
    with open(out, "w") as f:
        f.write("Pid: %s\n" % pid)
        f.flush()
        # A pidfd becomes readable when its process exits.
        ready, _, _ = select.select([fd], [], [], LIMIT)
        if ready:
            f.write("exited\n")


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("pty", "pidfd"):
        sys.exit(__doc__)
    mode, path, out = sys.argv[1:4]
    fd, name = receive(path)
    with open(out + ".name", "w") as f:
        f.write(name)
    if mode == "pty":
        copy_pty(fd, out, sys.argv[4] if len(sys.argv) > 4 else "")
    else:
        watch_pidfd(fd, out)


if __name__ == "__main__":
    main()
