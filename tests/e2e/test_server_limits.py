"""The mock and the recorder accept connections again once a limit is no longer reached: the
connection limit (--connections) and the open-file limit (RLIMIT_NOFILE, set low for the server
process only, through preexec_fn). Real sockets; each test fills the limit, proves it is full,
lets every client go, and then requires an answer on a fresh connection within a bounded wait
(which fails the test when it runs out; nothing here measures how fast the answer comes).

Before the fix, libmicrohttpd took the listen socket out of a worker's epoll set at the limit
and only a later run put it back, while the worker waited on that set without a timeout: no
connection was ever accepted again. With no file descriptor left, libmicrohttpd polled the
still-readable listen socket in a busy loop; the tests also bound the CPU time the server uses
while it is starved (a resource bound, not a timing one: a busy loop takes a whole CPU).

Run with /usr/bin/python3.
"""

import os
import resource
import selectors
import socket
import tempfile
import time
import unittest

import cbkit_e2e as e2e
from cbkit_e2e import MockTestCase

DEADLINE = 60.0  # generous bound for every wait: the server may run under ASan
NOFILE = 64      # the server's open-file limit in the descriptor tests
HOLD = 2.0       # seconds the limit is held while the server's CPU time is measured

HEALTH = b"GET /__cbkit/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def setUpModule():
    e2e.require_debian_python()


def low_nofile():
    """preexec_fn: the server may open at most NOFILE descriptors (soft and hard limit, so
    that the mock cannot raise it again)."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


def cpu_seconds(pid):
    """User + system CPU time of process 'pid' (all its threads) from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def answered_again(port, request=HEALTH, deadline=DEADLINE):
    """The first bytes of an answer to 'request' on a fresh connection, trying again until
    'deadline' seconds have passed; None if none came."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2.0) as s:
                s.settimeout(2.0)
                s.sendall(request)
                data = s.recv(64)
                if data:
                    return data
        except OSError:
            pass
        time.sleep(0.05)
    return None


def complete(data):
    """Does 'data' hold a whole answer (Content-Length framed)?"""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(rest) >= int(value)
    return False


class Held:
    """Client connections to a server, closed together."""

    def __init__(self):
        self.socks = []

    def connect(self, port, n):
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(DEADLINE)
            s.connect(("127.0.0.1", port))
            self.socks.append(s)

    def close(self):
        for s in self.socks:
            s.close()
        self.socks = []


def fill_connection_limit(test, port, limit, clients):
    """Open 'clients' connections, each sending one keep-alive health request, and wait until
    exactly 'limit' of them were answered (the server is then full: the others wait, unaccepted).
    Returns the Held connections."""
    held = Held()
    held.connect(port, clients)
    sel = selectors.DefaultSelector()
    got = {}
    for s in held.socks:
        s.sendall(HEALTH)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    end = time.monotonic() + DEADLINE
    answered = set()
    while len(answered) < limit and time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            data = key.fileobj.recv(65536)
            got[key.fileobj] = got.get(key.fileobj, b"") + data
            if complete(got[key.fileobj]):
                answered.add(key.fileobj)
            if not data:
                sel.unregister(key.fileobj)
    sel.close()
    test.assertEqual(len(answered), limit, "the server did not fill its connection limit")
    for s in answered:
        test.assertTrue(got[s].startswith(b"HTTP/1.1 200 "), got[s][:100])
    return held


def fill_descriptors(test, pid, port, max_clients=400):
    """Connect until server 'pid' has NOFILE descriptors open (it can accept no more), then a
    few more that wait in its backlog. Returns the Held connections."""
    held = Held()
    end = time.monotonic() + DEADLINE
    while open_fds(pid) < NOFILE:
        test.assertTrue(len(held.socks) < max_clients and time.monotonic() < end,
                        "the server never ran out of descriptors (%d open, %d clients)"
                        % (open_fds(pid), len(held.socks)))
        before = open_fds(pid)
        held.connect(port, 1)
        step_end = time.monotonic() + 2.0  # until it has accepted this one (bounded)
        while open_fds(pid) == before and time.monotonic() < step_end:
            time.sleep(0.005)
    held.connect(port, 8)
    return held


class MockLimits(MockTestCase):

    def check_connection_limit(self, threads):
        m = self.start_mock("--threads", threads, "--connections", "20", "--client-timeout", "600")
        held = fill_connection_limit(self, m.port, 20, 40)
        held.close()
        data = answered_again(m.port)
        self.assertIsNotNone(data, "the mock never accepted a connection again after its "
                                   "connection limit was reached and the clients left")
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data)
        self.assertEqual(m.health()["status"], "ok")
        m.stop()

    def test_connection_limit_one_worker(self):
        self.check_connection_limit("1")

    def test_connection_limit_two_workers(self):
        self.check_connection_limit("2")

    def check_descriptors(self, threads):
        m = self.start_mock("--threads", threads, "--client-timeout", "600",
                            preexec_fn=low_nofile)
        held = fill_descriptors(self, m.pid, m.port)
        try:
            cpu0 = cpu_seconds(m.pid)
            time.sleep(HOLD)  # the limit is held: measure, do not assert on time
            used = cpu_seconds(m.pid) - cpu0
        finally:
            held.close()
        data = answered_again(m.port)
        self.assertIsNotNone(data, "the mock never accepted a connection again after it ran "
                                   "out of file descriptors and the clients left")
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data)
        self.assertLess(used, HOLD / 4, "the mock spun while out of file descriptors "
                                        "(%.2f s of CPU in %.1f s)" % (used, HOLD))
        m.stop()

    def test_descriptors_one_worker(self):
        self.check_descriptors("1")

    def test_descriptors_two_workers(self):
        self.check_descriptors("2")


class RecorderLimits(unittest.TestCase):
    """The recorder (a thread per connection) under the open-file limit. Its upstream is a
    closed port: any answer (502) shows that it accepts and serves again."""

    def test_descriptors(self):
        tmp = tempfile.mkdtemp(prefix="cbkit-limits-")
        rec = e2e.Server("record", "--upstream", "http://127.0.0.1:%d" % e2e.closed_port(),
                         "--cassette", os.path.join(tmp, "c.yaml"), preexec_fn=low_nofile)
        self.addCleanup(rec.cleanup)
        held = fill_descriptors(self, rec.pid, rec.port)
        try:
            cpu0 = cpu_seconds(rec.pid)
            time.sleep(HOLD)
            used = cpu_seconds(rec.pid) - cpu0
        finally:
            held.close()
        request = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: "
                   b"CodeBuild_20161006.StopBuild\r\nContent-Type: " + e2e.CT.encode() +
                   b"\r\nContent-Length: 2\r\n\r\n{}")
        data = answered_again(rec.port, request)
        self.assertIsNotNone(data, "the recorder never accepted a connection again after it "
                                   "ran out of file descriptors and the clients left")
        self.assertTrue(data.startswith(b"HTTP/1.1 502 "), data)
        self.assertLess(used, HOLD / 4, "the recorder spun while out of file descriptors "
                                        "(%.2f s of CPU in %.1f s)" % (used, HOLD))
        rec.stop()


if __name__ == "__main__":
    unittest.main()
