"""HTTP strictness of the mock and the recorder (both behind server/httpd.c), over raw sockets
with exact bytes. Requests whose framing is ambiguous (request smuggling), whose header values
hide bytes behind a NUL, or that libmicrohttpd 0.9.75 cannot parse sanely get one clear AWS
JSON error (400, 413 or 414) and the connection is closed after it, so that nothing sent after
a smuggled header is ever read as a request. Well-formed requests close to these keep working.

Run with /usr/bin/python3.
"""

import json
import os
import socket
import tempfile
import time
import unittest

import cbkit_e2e as e2e
from cbkit_e2e import CT, UUID_RE, MockTestCase

DEADLINE = 30.0  # a bounded wait for each exchange; the server may run under ASan

HEAD = (b"Host: 127.0.0.1\r\nX-Amz-Target: CodeBuild_20161006.StopBuild\r\n"
        b"Content-Type: " + CT.encode() + b"\r\n")
BODY = b'{"id":"p:1"}'
SMUGGLED = b"GET /__cbkit/requests HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def setUpModule():
    e2e.require_debian_python()


def exchange(port, data):
    """Send 'data' on a fresh connection and read until the server closes it (bounded).
    Returns (bytes received, closed by the server)."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as s:
        s.sendall(data)
        got = b""
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            s.settimeout(max(0.05, end - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                return got, True
            if not chunk:
                return got, True
            got += chunk
        return got, False


def answers(data):
    """The HTTP answers in 'data' (Content-Length framed): [(status, {header: value}, body)];
    bytes after the last whole answer are an answer of their own (with status None)."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep or not head.startswith(b"HTTP/1.1 "):
            out.append((None, {}, data))
            break
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        out.append((int(lines[0].split()[1]), headers, rest[:n]))
        data = rest[n:]
    return out


class Strictness:
    """The cases, for a server at self.port (a mixin: MockStrictness, RecorderStrictness)."""

    def refused(self, data, status=400, type_="BadRequestException", contains=None):
        """'data' gets exactly one answer: 'status', an AWS JSON error of 'type_', with
        Connection: close, and the connection is closed after it."""
        got, closed = exchange(self.port, data)
        self.assertTrue(closed, "the connection was left open after %r" % got[:200])
        ans = answers(got)
        self.assertEqual(len(ans), 1, "expected one answer, got %r" % got)
        st, headers, body = ans[0]
        self.assertEqual(st, status, got)
        self.assertEqual(headers.get("connection"), "close", got)
        self.assertEqual(headers.get("content-type"), CT, got)
        self.assertRegex(headers.get("x-amzn-requestid", ""), "^%s$" % UUID_RE)
        doc = json.loads(body)
        self.assertEqual(doc["__type"], type_, got)
        self.assertEqual(headers.get("x-amzn-errortype"), type_, got)
        if contains:
            self.assertIn(contains, doc["message"])
        return doc

    def served(self, data, status=200):
        got, _ = exchange(self.port, data)
        ans = answers(got)
        self.assertEqual(len(ans), 1, got)
        self.assertEqual(ans[0][0], status, got)
        return ans[0]

    # ---- the findings (each failed before the fix) ------------------------------------------

    def test_two_content_lengths(self):
        """The first length was used and what followed the body read as a new request."""
        self.refused(b"POST / HTTP/1.1\r\n" + HEAD + b"Content-Length: 12\r\n"
                     b"Content-Length: %d\r\n\r\n" % (len(BODY) + len(SMUGGLED)) + BODY + SMUGGLED,
                     contains="Content-Length")
        self.assertNothingReached()

    def test_content_length_with_plus_sign(self):
        """libmicrohttpd's own 400 had its header block twice."""
        self.refused(b"POST / HTTP/1.1\r\n" + HEAD + b"Content-Length: +12\r\n\r\n" + BODY,
                     contains="Content-Length")
        self.assertNothingReached()

    def test_transfer_encoding_chunked_identity(self):
        """The connection was closed (or left waiting) without an answer."""
        self.refused(b"POST / HTTP/1.1\r\n" + HEAD + b"Transfer-Encoding: chunked, identity\r\n"
                     b"\r\nc\r\n" + BODY + b"\r\n0\r\n\r\n" + SMUGGLED,
                     contains="Transfer-Encoding")
        self.assertNothingReached()

    def test_nul_in_target_header(self):
        """"RetryBuild\\0.StopBuild" was read as RetryBuild and served."""
        self.refused(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"X-Amz-Target: CodeBuild_20161006.RetryBuild\x00.StopBuild\r\n"
                     b"Content-Type: " + CT.encode() + b"\r\nContent-Length: 12\r\n\r\n" + BODY,
                     contains="X-Amz-Target")
        self.assertNothingReached()

    def test_many_query_parameters(self):
        """About 115 parameters filled libmicrohttpd's connection memory: no answer until
        the client timeout."""
        for n in (110, 115, 120, 300):
            with self.subTest(parameters=n):
                q = "&".join("a%d=b" % i for i in range(n)).encode()
                self.refused(b"POST /?" + q + b" HTTP/1.1\r\n" + HEAD +
                             b"Content-Length: 12\r\n\r\n" + BODY,
                             status=414, type_="RequestURITooLongException", contains="64")
        self.assertNothingReached()

    # ---- the rest of the rules --------------------------------------------------------------

    def test_content_length_too_large(self):
        self.refused(b"POST / HTTP/1.1\r\n" + HEAD + b"Content-Length: 99999999999999999999999"
                     b"\r\n\r\n" + BODY, status=413, type_="RequestEntityTooLargeException")

    def test_content_length_list(self):
        self.refused(b"POST / HTTP/1.1\r\n" + HEAD + b"Content-Length: 12, 12\r\n\r\n" + BODY)

    def test_transfer_encoding_with_content_length(self):
        self.refused(b"POST / HTTP/1.1\r\n" + HEAD + b"Transfer-Encoding: chunked\r\n"
                     b"Content-Length: 12\r\n\r\nc\r\n" + BODY + b"\r\n0\r\n\r\n")

    def test_two_transfer_encodings(self):
        self.refused(b"POST / HTTP/1.1\r\n" + HEAD + b"Transfer-Encoding: chunked\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\nc\r\n" + BODY + b"\r\n0\r\n\r\n")

    def test_transfer_encoding_in_http10(self):
        self.refused(b"POST / HTTP/1.0\r\n" + HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                     b"c\r\n" + BODY + b"\r\n0\r\n\r\n")

    def test_whitespace_before_colon(self):
        self.refused(b"POST / HTTP/1.1\r\n" + HEAD + b"Content-Length : 40\r\n"
                     b"Content-Length: 12\r\n\r\n" + BODY + SMUGGLED, contains="colon")

    def test_cr_in_header_value(self):
        self.refused(b"POST / HTTP/1.1\r\n" + HEAD + b"X-Note: a\rInjected: 1\r\n"
                     b"Content-Length: 12\r\n\r\n" + BODY, contains="X-Note")

    def test_nul_in_last_header_value(self):
        self.refused(b"POST / HTTP/1.1\r\n" + HEAD + b"Content-Length: 12\r\n"
                     b"X-Note: a\x00b\r\n\r\n" + BODY, contains="X-Note")

    def test_folded_header_line(self):
        self.refused(b"POST / HTTP/1.1\r\n" + HEAD + b"X-Note: a\r\n b\r\n"
                     b"Content-Length: 12\r\n\r\n" + BODY, contains="folding")

    def test_nul_in_request_target(self):
        self.refused(b"POST /\x00x HTTP/1.1\r\n" + HEAD + b"Content-Length: 12\r\n\r\n" + BODY,
                     contains="request-target")

    def test_well_formed_requests_still_served(self):
        ok = self.served(b"POST / HTTP/1.1\r\n" + HEAD + b"Content-Length: 12\r\n"
                         b"Connection: close\r\n\r\n" + BODY)
        self.assertEqual(json.loads(ok[2])["build"]["id"], "p:1")
        # chunked, bare LF line ends, empty and padded values, 70 headers, 64 query parameters
        self.served(b"POST / HTTP/1.1\r\n" + HEAD + b"Transfer-Encoding: chunked\r\n"
                    b"Connection: close\r\n\r\nc\r\n" + BODY + b"\r\n0\r\n\r\n")
        self.served(b"POST / HTTP/1.1\n" + HEAD.replace(b"\r\n", b"\n") +
                    b"Content-Length: 12\nConnection: close\n\n" + BODY)
        self.served(b"POST / HTTP/1.1\r\n" + HEAD + b"X-Empty:\r\nX-Space: \r\n"
                    b"X-Padded:   v  \r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(70)) +
                    b"Content-Length: 12\r\nConnection: close\r\n\r\n" + BODY)
        q = "&".join("a%d=b" % i for i in range(64)).encode()
        self.served(b"POST /?" + q + b" HTTP/1.1\r\n" + HEAD + b"Content-Length: 12\r\n"
                    b"Connection: close\r\n\r\n" + BODY)


class MockStrictness(Strictness, MockTestCase):

    def setUp(self):
        self.mock = self.start_mock("--client-timeout", "20")
        self.port = self.mock.port

    def tearDown(self):
        self.mock.stop()

    def assertNothingReached(self):
        """No request was journaled (the smuggled one included) and no build was made."""
        doc = self.mock.requests()
        self.assertEqual(doc["requests"], [], doc)
        self.assertEqual(self.mock.get("state")["builds"], [])

    def test_admin_query_decoded(self):
        """The mock's admin API reads its query as before (decoded by the server now)."""
        self.served(b"POST / HTTP/1.1\r\n" + HEAD + b"Content-Length: 12\r\n"
                    b"Connection: close\r\n\r\n" + BODY)
        st, _, body = answers(exchange(self.port, b"GET /__cbkit/requests?operation=Stop%42uild"
                                       b"&limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                       b"Connection: close\r\n\r\n")[0])[0]
        self.assertEqual(st, 200, body)
        self.assertEqual([e["operation"] for e in json.loads(body)["requests"]], ["StopBuild"])
        st, _, body = answers(exchange(self.port, b"GET /__cbkit/requests?operation=Retry+Build"
                                       b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                       b"Connection: close\r\n\r\n")[0])[0]
        self.assertEqual(json.loads(body)["requests"], [])
        self.refused(b"GET /__cbkit/requests?operation=Stop%00Build HTTP/1.1\r\n"
                     b"Host: 127.0.0.1\r\n\r\n", contains="%00")


class RecorderStrictness(Strictness, unittest.TestCase):
    """The recorder in front of a mock: what it refuses never reaches the upstream."""

    @classmethod
    def setUpClass(cls):
        cls.upstream = e2e.Mock("--client-timeout", "20", env=e2e.client_env())
        cls.tmp = tempfile.mkdtemp(prefix="cbkit-strict-")

    @classmethod
    def tearDownClass(cls):
        cls.upstream.stop()
        cls.upstream.cleanup()

    def setUp(self):
        self.upstream.reset()
        cassette = os.path.join(self.tmp, "%s.yaml" % self.id().rsplit(".", 1)[1])
        self.rec = e2e.Server("record", "--upstream", self.upstream.url, "--cassette", cassette)
        self.port = self.rec.port

    def tearDown(self):
        try:
            self.rec.stop()
        finally:
            self.rec.cleanup()

    def assertNothingReached(self):
        doc = self.upstream.requests()
        self.assertEqual(doc["requests"], [], doc)


if __name__ == "__main__":
    unittest.main()
