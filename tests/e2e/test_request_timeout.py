"""--client-timeout bounds the time to receive a whole request (headers and body), from its
first byte, for the mock and the recorder: clients that send a byte now and then (often enough
for an idle timeout never to fire) are dropped, and the server serves others afterwards. A
keep-alive connection that is idle between requests stays governed by the idle timeout: a
request that starts late in an idle period and is itself received within the timeout is served.

Bounded waits only: a slow client must be dropped before a generous deadline (which fails the
test), and well-behaved clients must be served. Run with /usr/bin/python3.
"""

import os
import socket
import tempfile
import time
import unittest

import cbkit_e2e as e2e
from cbkit_e2e import CT, MockTestCase

DEADLINE = 60.0  # for every wait; the server may run under ASan
DRIP = 0.4       # seconds between two bytes of a slow client (well under the idle timeout)

BODY = b'{"id":"slow:1"}'
REQUEST = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: CodeBuild_20161006.StopBuild\r\n"
           b"Content-Type: " + CT.encode() + b"\r\nX-Pad: " + b"p" * 400 + b"\r\n"
           b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY)


def setUpModule():
    e2e.require_debian_python()


def drip(test, port, clients, data, deadline=DEADLINE):
    """Open 'clients' connections and send 'data' on each, one byte every DRIP seconds, until
    the server closes every one of them; fails the test if some are still open at the
    deadline, or if 'data' ran out first (the request would be complete). Returns what each
    connection received."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
             for _ in range(clients)]
    got = [b""] * clients
    open_ = set(range(clients))
    end = time.monotonic() + deadline
    i = 0
    try:
        while open_ and time.monotonic() < end:
            test.assertLess(i, len(data), "the slow request was sent whole before the server "
                                          "dropped it")
            for k in sorted(open_):
                s = socks[k]
                try:
                    s.send(data[i:i + 1])
                    s.setblocking(False)
                    try:
                        chunk = s.recv(65536)
                        if not chunk:
                            open_.discard(k)
                        got[k] += chunk
                    except BlockingIOError:
                        pass
                    finally:
                        s.setblocking(True)
                except OSError:  # reset or broken pipe: closed by the server
                    open_.discard(k)
            i += 1
            time.sleep(DRIP)
    finally:
        for s in socks:
            s.close()
    test.assertFalse(open_, "%d of %d slow clients were still connected after %.0f s"
                     % (len(open_), clients, deadline))
    return got


def serves(port, data=REQUEST):
    """Send a whole request on a fresh connection; the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as s:
        s.sendall(data)
        buf = b""
        while b"\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        return buf.split(b"\r\n", 1)[0]


class MockRequestTimeout(MockTestCase):

    def test_slow_headers_dropped(self):
        """More slow clients than --connections, each sending its headers a byte at a time:
        every one is dropped, then the mock serves again."""
        m = self.start_mock("--threads", "1", "--connections", "8", "--client-timeout", "2")
        got = drip(self, m.port, 12, REQUEST[:-len(BODY) - 4])
        for g in got:
            self.assertNotIn(b"HTTP/1.1 200", g)
        self.assertEqual(serves(m.port), b"HTTP/1.1 200 OK")
        self.assertEqual(m.health()["requests"], 1)
        m.stop()

    def test_slow_body_dropped(self):
        """Headers at once, then a body a byte at a time: dropped too (the bound covers the
        whole request)."""
        m = self.start_mock("--client-timeout", "2")
        body = b'{"id":"slow:' + b"x" * 200 + b'"}'
        head = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: "
                b"CodeBuild_20161006.StopBuild\r\nContent-Type: " + CT.encode() +
                b"\r\nContent-Length: %d\r\n\r\n" % len(body))
        s = socket.create_connection(("127.0.0.1", m.port), timeout=DEADLINE)
        try:
            s.sendall(head)
            # the rest drips
            end = time.monotonic() + DEADLINE
            closed = False
            for i in range(len(body) - 1):
                if time.monotonic() > end:
                    break
                try:
                    s.send(body[i:i + 1])
                    s.setblocking(False)
                    try:
                        closed = s.recv(65536) == b""
                    except BlockingIOError:
                        pass
                    finally:
                        s.setblocking(True)
                except OSError:
                    closed = True
                if closed:
                    break
                time.sleep(DRIP)
            self.assertTrue(closed, "a request whose body dripped in was never dropped")
        finally:
            s.close()
        self.assertEqual(m.health()["requests"], 0)
        m.stop()

    def test_request_late_in_idle_period_served(self):
        """A keep-alive client idle for most of the timeout, then sending a request over a
        time shorter than the timeout (idle + request together take longer): served, since
        the bound starts at the request's first byte."""
        m = self.start_mock("--client-timeout", "4")
        s = socket.create_connection(("127.0.0.1", m.port), timeout=DEADLINE)
        try:
            s.sendall(REQUEST)
            first = s.recv(65536)
            self.assertTrue(first.startswith(b"HTTP/1.1 200 "), first[:100])
            time.sleep(2.0)  # idle, under the idle timeout
            # then the next request over about 2.5 s: 4.5 s after the last answer in all
            for i in range(0, len(REQUEST), len(REQUEST) // 5 + 1):
                s.sendall(REQUEST[i:i + len(REQUEST) // 5 + 1])
                time.sleep(0.5)
            second = b""
            while b"\r\n" not in second:
                chunk = s.recv(65536)
                self.assertTrue(chunk, "the connection was closed before its second answer")
                second += chunk
            self.assertTrue(second.startswith(b"HTTP/1.1 200 "), second[:100])
        finally:
            s.close()
        self.assertEqual(m.health()["requests"], 2)
        m.stop()


class RecorderRequestTimeout(unittest.TestCase):

    def test_slow_headers_dropped(self):
        upstream = e2e.Mock(env=e2e.client_env())
        self.addCleanup(upstream.cleanup)
        tmp = tempfile.mkdtemp(prefix="cbkit-timeout-")
        rec = e2e.Server("record", "--upstream", upstream.url, "--client-timeout", "2",
                         "--cassette", os.path.join(tmp, "c.yaml"))
        self.addCleanup(rec.cleanup)
        got = drip(self, rec.port, 6, REQUEST[:-len(BODY) - 4])
        for g in got:
            self.assertNotIn(b"HTTP/1.1 200", g)
        self.assertEqual(serves(rec.port), b"HTTP/1.1 200 OK")
        self.assertEqual(upstream.health()["requests"], 1)  # only the whole request
        rec.stop()
        upstream.stop()


if __name__ == "__main__":
    unittest.main()
