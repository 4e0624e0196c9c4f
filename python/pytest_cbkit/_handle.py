"""What the cbkit fixtures give a test: the endpoint, clients, and the admin API's helpers
(scenarios, the virtual clock, the journal, the builds)."""

import json
import os
import urllib.error
import urllib.parse
import urllib.request

HTTP_TIMEOUT = 60.0

# Dummy credentials: requests to the mock are never sent anywhere else.
DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
}
# Variables that would send clients elsewhere or sign with real credentials.
UNSET_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
             "AWS_ENDPOINT_URL", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
             "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")


class AdminError(AssertionError):
    """The admin API refused a helper's request."""


class Violation:
    """A request of the test that broke the contract, as the journal tells it."""

    def __init__(self, operation, pointer, aws_message, message, rule="", error_type=""):
        self.operation = operation
        self.pointer = pointer
        self.aws_message = aws_message
        self.message = message
        self.rule = rule
        self.error_type = error_type

    def __str__(self):
        where = "%s %s" % (self.operation or "?", self.pointer or "")
        said = self.aws_message or self.message
        return "%s: %s" % (where.strip(), said)

    def __repr__(self):
        return "Violation(%r, %r, %r)" % (self.operation, self.pointer, self.aws_message)


class Cbkit:
    """A running cbkit for one test (or a session): its URL, clients configured for it, and
    helpers over its admin API (docs/admin-api.md). In --cbkit-record mode the endpoint is
    `cbkit record` in front of the real service: the admin helpers are not available."""

    def __init__(self, process, mode, region="us-east-1", cassette=None):
        self._process = process
        self.mode = mode  # "mock", "replay" or "record"
        self.url = process.url
        self.endpoint_url = process.url
        self.port = process.port
        self.region = region
        self.cassette = cassette
        self._since = 0  # journal entries of earlier tests (a shared mock)

    # ---- clients -------------------------------------------------------------------------

    def client(self, service="codebuild", **kwargs):
        """A boto3 client for this endpoint with dummy credentials (endpoint_url is passed,
        so boto3 versions that do not read AWS_ENDPOINT_URL_CODEBUILD work too)."""
        import boto3
        kwargs.setdefault("endpoint_url", self.url)
        kwargs.setdefault("region_name", self.region)
        kwargs.setdefault("aws_access_key_id", DUMMY_ENV["AWS_ACCESS_KEY_ID"])
        kwargs.setdefault("aws_secret_access_key", DUMMY_ENV["AWS_SECRET_ACCESS_KEY"])
        return boto3.client(service, **kwargs)

    def env(self):
        """The variables that point SDKs and the AWS CLI at this endpoint."""
        env = dict(DUMMY_ENV)
        env["AWS_ENDPOINT_URL_CODEBUILD"] = self.url
        env["AWS_DEFAULT_REGION"] = env["AWS_REGION"] = self.region
        return env

    # ---- the admin API -------------------------------------------------------------------

    def _need_admin(self):
        if self.mode == "record":
            raise AdminError("cbkit: the admin API is the mock's; this test runs with "
                             "--cbkit-record against the real service")

    def admin(self, method, path, body=None, query=None, content_type="application/json"):
        """(status, parsed answer) of one admin request; 'path' is relative to /__cbkit/."""
        self._need_admin()
        url = "%s/__cbkit/%s" % (self.url, path.lstrip("/"))
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else (
                body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=HTTP_TIMEOUT) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, raw.decode("utf-8", "replace")

    def _ok(self, method, path, body=None, query=None, **kw):
        status, doc = self.admin(method, path, body=body, query=query, **kw)
        if status != 200:
            msg = doc.get("error") if isinstance(doc, dict) else doc
            raise AdminError("cbkit: %s /__cbkit/%s: %s %s" % (method, path, status, msg))
        return doc

    def health(self):
        return self._ok("GET", "health")

    def load_scenario(self, scenario):
        """Load a scenario (docs/scenarios.md): a file name or the YAML text itself. Returns
        the scenario's name."""
        text = scenario
        if "\n" not in scenario and os.path.exists(scenario):
            with open(scenario, encoding="utf-8") as f:
                text = f.read()
        before = {s["name"] for s in self.scenarios()}
        self._ok("POST", "scenarios", body=text, content_type="application/yaml")
        added = [s["name"] for s in self.scenarios() if s["name"] not in before]
        return added[0] if added else None

    def unload_scenario(self, name):
        self._ok("DELETE", "scenarios/" + urllib.parse.quote(name, safe=""))

    def scenarios(self):
        return self._ok("GET", "scenarios")["scenarios"]

    def clock(self):
        """{"now": EPOCH_SECONDS, "iso8601": ..., "virtual": BOOL}"""
        return self._ok("GET", "clock")

    def advance_clock(self, seconds=0, millis=0):
        """Move the mock clock forward (a virtual clock moves only this way)."""
        body = {"advanceMillis": int(seconds * 1000) + millis}
        return self._ok("POST", "clock", body=body)

    def set_clock(self, epoch_seconds):
        return self._ok("POST", "clock", body={"set": epoch_seconds})

    def journal(self, **query):
        """The journal entries (of this test, on a shared mock), oldest first; query:
        operation=, verdict=valid|invalid|rejected, limit=."""
        if self._since:
            query.setdefault("since", self._since)
        return self._ok("GET", "requests", query=query)["requests"]

    def violations(self):
        """Every kept contract violation (of this test, on a shared mock), flattened."""
        return [v for v in self._ok("GET", "violations")["violations"] if v["id"] > self._since]

    def state(self, account=None):
        return self._ok("GET", "state", query={"account": account} if account else None)

    def builds(self, account=None):
        """The builds the mock models (GET /__cbkit/state)."""
        return self.state(account).get("builds", [])

    def build_batches(self, account=None):
        return self.state(account).get("buildBatches", [])

    def reset(self, what="all"):
        return self._ok("POST", "reset", query={"what": what})

    # ---- contract check --------------------------------------------------------------------

    def _mark(self):
        """Remember the journal's newest entry: what follows is the current test's."""
        entries = self._ok("GET", "requests", query={"limit": 1})["requests"]
        self._since = entries[-1]["id"] if entries else 0

    def contract_violations(self):
        """The requests of this test that broke the contract, from the journal: a Violation
        per finding of an invalid request, one per rejected request (malformed JSON, unknown
        operation, ...)."""
        found = []
        for e in self.journal():
            if e["verdict"] == "invalid":
                for v in e["violations"]:
                    found.append(Violation(e["operation"], v["path"], v.get("awsMessage"),
                                           v["message"], v["rule"], e.get("errorType", "")))
                if e.get("violationCount", 0) > len(e["violations"]):
                    found.append(Violation(e["operation"], "", "",
                                           "and %d more" % (e["violationCount"] -
                                                            len(e["violations"]))))
            elif e["verdict"] == "rejected":
                found.append(Violation(e["operation"] or e.get("target", ""), "",
                                       "", "rejected: %s (status %s)" % (e.get("errorType"),
                                                                         e.get("status")),
                                       "", e.get("errorType", "")))
        return found
