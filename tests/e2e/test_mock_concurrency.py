"""Load and robustness of `cbkit mock` over real sockets: 1,000 concurrent connections each
sending one valid RetryBuild and reading a full 200 answer; bursts of exactly 128 and 256 ready
connections (libmicrohttpd's epoll batch); a slow client (half a request) and an
idle client are dropped after --client-timeout while other clients keep being served.

Bounded loops only (deadlines), no timing assertions. Run with /usr/bin/python3.
"""

import json
import os
import resource
import selectors
import signal
import socket
import time
import unittest

import cbkit_e2e as e2e
from cbkit_e2e import CT, MockTestCase

CONNECTIONS = 1000
EPOLL_BATCH = 128  # events libmicrohttpd 0.9.75 takes per epoll_wait()
DEADLINE = 180.0  # seconds for the whole exchange (generous: the mock may run under ASan)


def setUpModule():
    e2e.require_debian_python()


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        new = need if hard == resource.RLIM_INFINITY else min(hard, max(need, soft))
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def request_bytes(i):
    body = json.dumps({"id": "load-%d:00000000-0000-4000-8000-%012d" % (i % 7, i)}).encode()
    return (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + CT.encode() +
            b"\r\nX-Amz-Target: CodeBuild_20161006.RetryBuild\r\n"
            b"amz-sdk-invocation-id: 00000000-0000-4000-8000-%012d\r\n"
            b"Content-Length: %d\r\n\r\n" % (i, len(body)) + body)


class Conn:
    def __init__(self, i, port):
        self.i = i
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.err = self.sock.connect_ex(("127.0.0.1", port))
        self.out = request_bytes(i)
        self.inbuf = b""
        self.connected = False
        self.done = False
        self.status = None
        self.headers = {}
        self.body = None

    def parse(self):
        """True once a full answer is in inbuf."""
        head, sep, rest = self.inbuf.partition(b"\r\n\r\n")
        if not sep:
            return False
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        n = int(self.headers.get("content-length", "-1"))
        if n < 0 or len(rest) < n:
            return False
        self.body = rest[:n]
        return True


def send_all(test, sel, conns, deadline):
    """Send every connection's pending request ('out'), then leave them registered for reading."""
    for c in conns:
        sel.register(c.sock, selectors.EVENT_WRITE, c)
    pending = len(conns)
    while pending:
        left = deadline - time.monotonic()
        test.assertGreater(left, 0, "%d requests never sent" % pending)
        for key, _ in sel.select(min(left, 1.0)):
            c = key.data
            n = c.sock.send(c.out)
            c.out = c.out[n:]
            if not c.out:
                sel.modify(c.sock, selectors.EVENT_READ, c)
                pending -= 1


def read_all(test, sel, conns, deadline):
    """Read one full answer on every connection registered by send_all(); unregisters them."""
    pending = len(conns)
    while pending:
        left = deadline - time.monotonic()
        test.assertGreater(left, 0, "%d answers never arrived" % pending)
        for key, _ in sel.select(min(left, 1.0)):
            c = key.data
            try:
                data = c.sock.recv(65536)
            except ConnectionResetError:
                data = None
            test.assertTrue(data, "connection %d closed or reset before a full answer "
                            "(%d answers pending): %r" % (c.i, pending, c.inbuf[:200]))
            c.inbuf += data
            if c.parse():
                c.done = True
                sel.unregister(c.sock)
                pending -= 1


class Concurrency(MockTestCase):

    def test_thousand_concurrent_connections(self):
        limit = raise_nofile(CONNECTIONS + 200)
        if limit < CONNECTIONS + 50:
            self.skipTest("RLIMIT_NOFILE is %d; %d connections need more" % (limit, CONNECTIONS))
        # the idle timeout is not under test here (SlowClients is): connections that wait for
        # the others must not be dropped when the machine (or an ASan build) is slow
        m = self.start_mock("--client-timeout", "600")
        sel = selectors.DefaultSelector()
        conns = []
        try:
            for i in range(CONNECTIONS):
                c = Conn(i, m.port)
                conns.append(c)
                self.assertIn(c.err, (0, 115), "connect %d" % i)  # 0 or EINPROGRESS
                sel.register(c.sock, selectors.EVENT_WRITE, c)
            deadline = time.monotonic() + DEADLINE

            # 1. every connection established (all open at once)
            pending = CONNECTIONS
            while pending:
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, "%d connections never completed" % pending)
                for key, _ in sel.select(min(left, 1.0)):
                    c = key.data
                    if not c.connected:
                        err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                        self.assertEqual(err, 0, "connection %d failed: %d" % (c.i, err))
                        c.connected = True
                        pending -= 1
                        sel.unregister(c.sock)
            # 2. every request sent before any answer is read; 3. every answer read in full,
            # connections staying open until all are done
            send_all(self, sel, conns, deadline)
            read_all(self, sel, conns, deadline)
        finally:
            sel.close()
            for c in conns:
                c.sock.close()

        request_ids, build_ids = set(), set()
        for c in conns:
            self.assertEqual(c.status, 200, "connection %d: %r" % (c.i, c.inbuf[:300]))
            self.assertEqual(c.headers.get("content-type"), CT)
            doc = json.loads(c.body)
            b = doc["build"]
            self.assertEqual(b["projectName"], "load-%d" % (c.i % 7))
            request_ids.add(c.headers["x-amzn-requestid"])
            build_ids.add(b["id"])
        self.assertEqual(len(request_ids), CONNECTIONS)
        self.assertEqual(len(build_ids), CONNECTIONS)

        h = m.health()
        self.assertEqual((h["requests"], h["valid"], h["invalid"], h["rejected"]),
                         (CONNECTIONS, CONNECTIONS, 0, 0))
        doc = m.settled_requests()
        self.assertEqual(doc["total"], CONNECTIONS)
        self.assertEqual(len(doc["requests"]), CONNECTIONS)
        self.assertEqual({e["operation"] for e in doc["requests"]}, {"RetryBuild"})
        self.assertEqual({e["status"] for e in doc["requests"]}, {200})
        self.assertEqual({e["statusSent"] for e in doc["requests"]}, {200})
        self.assertEqual(sorted(e["invocationId"] for e in doc["requests"]),
                         sorted("00000000-0000-4000-8000-%012d" % i for i in range(CONNECTIONS)))
        # numbers per project are handed out once each: 1..n for every project
        numbers = {}
        for e in state_builds(m):
            numbers.setdefault(e["projectName"], []).append(e["buildNumber"])
        for project, got in numbers.items():
            self.assertEqual(sorted(got), list(range(1, len(got) + 1)), project)
        self.assertEqual(sum(len(v) for v in numbers.values()), CONNECTIONS)
        m.stop()
        self.assertIn("%d requests" % CONNECTIONS, m.stderr())

    def test_bursts_of_exactly_one_and_two_epoll_batches(self):
        """libmicrohttpd 0.9.75's own epoll loop, given exactly as many ready connections as it
        takes per epoll_wait() (128) or a multiple, waited for some other event before serving
        any of them: up to the client timeout. Here the mock is stopped (SIGSTOP, on the PID we
        started) while that many idle keep-alive connections each send a request, so all of
        them are ready together when it goes on (SIGCONT); every answer must still arrive."""
        raise_nofile(2 * EPOLL_BATCH + 100)
        for burst in (EPOLL_BATCH, 2 * EPOLL_BATCH):
            with self.subTest(burst=burst):
                m = self.start_mock("--threads", "1", "--client-timeout", "600")
                sel = selectors.DefaultSelector()
                conns = [Conn(i, m.port) for i in range(burst)]
                try:
                    deadline = time.monotonic() + DEADLINE
                    # one exchange each: every connection accepted, served and now idle
                    send_all(self, sel, conns, deadline)
                    read_all(self, sel, conns, deadline)
                    for c in conns:
                        c.out, c.inbuf = request_bytes(burst + c.i), b""
                    os.kill(m.pid, signal.SIGSTOP)
                    try:
                        send_all(self, sel, conns, deadline)
                    finally:
                        os.kill(m.pid, signal.SIGCONT)
                    read_all(self, sel, conns, deadline)
                finally:
                    sel.close()
                    for c in conns:
                        c.sock.close()
                for c in conns:
                    self.assertEqual(c.status, 200, "connection %d: %r" % (c.i, c.inbuf[:300]))
                    self.assertEqual(json.loads(c.body)["build"]["projectName"],
                                     "load-%d" % ((burst + c.i) % 7))
                self.assertEqual(m.health()["requests"], 2 * burst)
                m.stop()


def state_builds(m):
    return m.get("state")["builds"]


def wait_closed(sock, deadline):
    """Read until the peer closes; returns (closed, bytes received). Bounded by 'deadline'."""
    got = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, min(0.5, deadline - time.monotonic())))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True, got
        if not data:
            return True, got
        got += data
    return False, got


class SlowClients(MockTestCase):

    def test_half_request_is_dropped_others_served(self):
        m = self.start_mock("--client-timeout", "1")
        slow = socket.create_connection(("127.0.0.1", m.port), timeout=e2e.HTTP_TIMEOUT)
        idle = socket.create_connection(("127.0.0.1", m.port), timeout=e2e.HTTP_TIMEOUT)
        try:
            body = b'{"id":"slow:00000000-0000-4000-8000-000000000000"}'
            slow.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + CT.encode() +
                         b"\r\nX-Amz-Target: CodeBuild_20161006.StopBuild\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body[:len(body) // 2])
            # meanwhile other clients are served
            for i in range(20):
                st, _, b = m.raw(b'{"id":"fast:%d"}' % i, target="StopBuild")
                self.assertEqual(st, 200, b)
                self.assertEqual(json.loads(b)["build"]["id"], "fast:%d" % i)
            deadline = time.monotonic() + 20.0
            closed, got = wait_closed(slow, deadline)
            self.assertTrue(closed, "the mock kept a half-sent request open past the deadline")
            self.assertFalse(got.startswith(b"HTTP/1.1 200"), got[:200])
            closed, got = wait_closed(idle, deadline)
            self.assertTrue(closed, "the mock kept an idle connection open past the deadline")
            self.assertEqual(got, b"")
        finally:
            slow.close()
            idle.close()
        # the mock still serves, and the half request never became a journaled request
        st, _, _ = m.raw(b'{"id":"after:1"}', target="StopBuild")
        self.assertEqual(st, 200)
        h = m.health()
        self.assertEqual(h["requests"], 21)
        self.assertEqual(h["valid"], 21)
        self.assertNotIn("slow:", json.dumps(m.get("requests")))
        m.stop()

    def test_keepalive_connection_dropped_when_idle(self):
        m = self.start_mock("--client-timeout", "1")
        s = socket.create_connection(("127.0.0.1", m.port), timeout=e2e.HTTP_TIMEOUT)
        try:
            body = b'{"id":"ka:1"}'
            s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + CT.encode() +
                      b"\r\nX-Amz-Target: CodeBuild_20161006.StopBuild\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body)
            closed, got = wait_closed(s, time.monotonic() + 20.0)
            self.assertTrue(closed, "an idle keep-alive connection was never dropped")
            self.assertTrue(got.startswith(b"HTTP/1.1 200"), got[:200])
            self.assertIn(b'"id":"ka:1"', got)
        finally:
            s.close()
        self.assertEqual(m.health()["requests"], 1)
        m.stop()


if __name__ == "__main__":
    unittest.main()
