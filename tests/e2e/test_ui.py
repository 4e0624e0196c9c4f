"""GET /__cbkit/ui, the mock's page (issue 12 §6; docs/admin-api.md "The page").

The page is served by the mock, self-contained (no external assets: a Content-Security-Policy
that allows nothing from elsewhere), under the admin API's rules. A mock gets traffic from
boto3 (valid, invalid, a scenario's fault, builds on a virtual clock), then headless
Chromium (Debian's /usr/bin/chromium) loads the page and the DOM it rendered is checked: the
journal (operation, verdict, status, fault, latency, a request's body, its violations with
pointer and AWS message), the scenario with its rules' counts, the builds with their phases
on a timeline. A screenshot is kept as a test artifact (CBK_BINARY_DIR/artifacts/ui.png).
Skipped, with the reason, without Chromium.
"""

import html.parser
import os
import re
import shutil
import subprocess
import tempfile

import botocore.config
import botocore.exceptions

import cbkit_e2e as e2e
from cbkit_e2e import MockTestCase

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--window-size=1400,900", "--virtual-time-budget=8000"]

SCENARIO = """\
scenario: ui-faults
rules:
  - name: throttle-batch
    match: {operation: StartBuildBatch, body: {/projectName: throttled}}
    respond: {error: ThrottlingException, message: Rate exceeded}
"""


def setUpModule():
    e2e.require_debian_python()


class Text(html.parser.HTMLParser):
    """The text of the elements with a given class or data-* attribute, in order."""

    def __init__(self):
        super().__init__()
        self.stack = []
        self.found = []  # (attrs of the element, its text)

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "input", "meta", "img"):
            return
        self.stack.append([dict(attrs), ""])

    def handle_endtag(self, tag):
        if tag in ("br", "input", "meta", "img") or not self.stack:
            return
        attrs, text = self.stack.pop()
        self.found.append((attrs, text))
        if self.stack:
            self.stack[-1][1] += text

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][1] += data

    def with_class(self, cls):
        return [t for a, t in self.found if cls in (a.get("class") or "").split()]


class Page(MockTestCase):

    def chromium(self, url, *extra):
        if not os.path.exists(CHROMIUM):
            self.skipTest("%s is not installed (Debian's chromium package)" % CHROMIUM)
        profile = tempfile.mkdtemp(prefix="cbkit-chromium-")
        self.addCleanup(shutil.rmtree, profile, True)
        r = subprocess.run([CHROMIUM] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile] +
                           list(extra) + [url], capture_output=True, text=True, timeout=180,
                           env=e2e.client_env())
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        return r.stdout

    def test_page_shows_the_mock_live(self):
        path = os.path.join(tempfile.mkdtemp(prefix="cbkit-ui-"), "ui.yaml")
        self.addCleanup(shutil.rmtree, os.path.dirname(path), True)
        with open(path, "w") as f:
            f.write(SCENARIO)
        m = self.start_mock("--seed", "5", "--scenario", path)
        # the page itself: self-contained
        st, headers, body = m.raw(method="GET", path="/__cbkit/ui", content_type=None)
        self.assertEqual(st, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertIn("default-src 'none'", headers["content-security-policy"])
        self.assertIn("connect-src 'self'", headers["content-security-policy"])
        self.assertNotRegex(body.decode(), r"(src|href)=\"(https?:)?//")
        # traffic
        c = m.boto3(botocore.config.Config(retries={"total_max_attempts": 1}))
        retried = c.retry_build(id="ui-app:1")["build"]
        c.stop_build(id="ui-app:2")
        with self.assertRaises(botocore.exceptions.ClientError):
            c.start_build_batch(projectName="p", buildTimeoutInMinutesOverride=2161)
        with self.assertRaises(botocore.exceptions.ClientError):
            c.start_build_batch(projectName="throttled")
        m.post("clock", {"advanceSeconds": 30})
        m.settled_requests()
        shot_dir = os.path.join(os.environ.get("CBK_BINARY_DIR") or tempfile.gettempdir(),
                                "artifacts")
        os.makedirs(shot_dir, exist_ok=True)
        dom = self.chromium(m.url + "/__cbkit/ui", "--dump-dom")
        self.chromium(m.url + "/__cbkit/ui", "--screenshot=" + os.path.join(shot_dir, "ui.png"))
        self.assertTrue(os.path.getsize(os.path.join(shot_dir, "ui.png")) > 10000)
        print("\nscreenshot: %s" % os.path.join(shot_dir, "ui.png"))

        self.assertIn('data-loaded="1"', dom)
        p = Text()
        p.feed(dom)
        # header counts
        self.assertEqual([t for a, t in p.found if a.get("id") == "n-requests"], ["4"])
        self.assertEqual([t for a, t in p.found if a.get("id") == "n-invalid"], ["1"])
        # the journal, newest first: operation, verdict, status, fault/answered by, latency
        rows = [t for a, t in p.found if "entry" in (a.get("class") or "").split()]
        self.assertEqual(len(rows), 4, rows)
        self.assertRegex(rows[0], r"^4\d\d:\d\d:\d\d\.\d{3}StartBuildBatch")
        self.assertIn("valid400 ThrottlingException", rows[0])  # AWS JSON: 400 for throttling
        self.assertIn("ui-faults/throttle-batch", rows[0])
        self.assertIn("invalid400 InvalidInputException", rows[1])
        self.assertIn("validator", rows[1])
        self.assertIn("RetryBuild", rows[3])
        self.assertRegex(rows[3], r"\d+\.\d\d$")  # latency in ms
        # a request's body and its violation: pointer and AWS's message
        bodies = p.with_class("body")
        self.assertIn('"buildTimeoutInMinutesOverride": 2161', bodies[1])
        self.assertEqual(p.with_class("pointer"), ["/buildTimeoutInMinutesOverride"])
        self.assertEqual(p.with_class("aws"), [
            "Value '2161' at 'buildTimeoutInMinutesOverride' failed to satisfy constraint: "
            "Member must have value less than or equal to 2160"])
        # the scenario and its rule's counts
        rule = p.with_class("rule")
        self.assertEqual(len(rule), 1)
        self.assertEqual(rule[0], "ui-faultsStartedthrottle-batch11")  # name, state, rule, counts
        # the builds, with their phases on a timeline
        builds = p.with_class("build")
        ids = [re.match(r"^(\S+?:[0-9a-f-]{36}|ui-app:\d)", b).group(1) for b in builds]
        self.assertIn(retried["id"], ids)
        self.assertIn("ui-app:2", ids)
        segs = [a.get("data-phase") for a, _ in p.found if a.get("class") == "seg"]
        self.assertIn("SUBMITTED", segs)
        self.assertIn("QUEUED", segs)
        widths = [float(re.search(r"width: ?([0-9.]+)%", a["style"]).group(1))
                  for a, _ in p.found if a.get("class") == "seg"]
        self.assertTrue(all(0 < w <= 100 for w in widths), widths)

    def test_page_follows_the_admin_rules(self):
        env = dict(os.environ, CBKIT_ADMIN_TOKEN="ui-token")
        m = self.start_mock(env=env)
        # the page (no data in it) loads without the token; its data needs it
        st, _, body = m.raw(method="GET", path="/__cbkit/ui", content_type=None)
        self.assertEqual(st, 200)
        st, _, _ = m.raw(method="GET", path="/__cbkit/requests", content_type=None)
        self.assertEqual(st, 401)
        # another site's page, DNS rebinding: refused like the rest
        st, _, _ = m.raw(method="GET", path="/__cbkit/ui", content_type=None,
                         headers={"Host": "attacker.example"})
        self.assertEqual(st, 403)
        st, _, _ = m.raw(method="GET", path="/__cbkit/ui", content_type=None,
                         headers={"Sec-Fetch-Site": "cross-site"})
        self.assertEqual(st, 403)
        # in the browser: without the token it asks for it, with #token= it shows the data
        m.boto3().stop_build(id="tok:1")
        dom = self.chromium(m.url + "/__cbkit/ui", "--dump-dom")
        self.assertNotIn('data-loaded="1"', dom)
        self.assertIn("401", dom)
        dom = self.chromium(m.url + "/__cbkit/ui#token=ui-token", "--dump-dom")
        self.assertIn('data-loaded="1"', dom)
        self.assertIn("StopBuild", dom)


if __name__ == "__main__":
    import unittest
    unittest.main()
