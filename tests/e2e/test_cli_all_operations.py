"""The tools work for every operation of the bundled CodeBuild spec (issue 10, section 5):

- `cbkit spec show OP` prints the operation, its input, output and errors;
- `cbkit validate --op OP --request` accepts its minimal valid request and refuses, naming the
  member by its JSON pointer, a request that breaks one constraint (exit 1);
- `cbkit validate --op OP --response --strict` accepts the mock's answer;
- a scenario rule matching the operation answers it (one rule per operation, each its own
  message);
- `cbkit record` records every operation into a cassette, and `cbkit mock --cassette` answers
  every one of them from it, byte for byte, without the upstream.
The CloudWatch Logs spec (imported from spec/logs/model/) gets `spec show` for each of its 113
operations too.
"""

import json
import os
import shutil
import subprocess
import tempfile

import allops
import cbkit_e2e as e2e
from test_all_operations import import_logs


def cbkit(*args, stdin=None):
    return subprocess.run([e2e.cbkit_path()] + list(args), input=stdin, capture_output=True,
                          text=True, timeout=e2e.CLI_TIMEOUT, env=e2e.client_env())


def pointer(path):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def same_but_redacted(replayed, recorded, path=""):
    """Where the replayed answer differs from the recorded one: nowhere, but for values the
    cassette redacted."""
    if replayed == "[REDACTED]" and isinstance(recorded, str):
        return []
    if isinstance(replayed, dict) and isinstance(recorded, dict) and replayed.keys() == recorded.keys():
        return [d for k in replayed for d in same_but_redacted(replayed[k], recorded[k],
                                                                  path + "/" + k)]
    if isinstance(replayed, list) and isinstance(recorded, list) and len(replayed) == len(recorded):
        return [d for i, (a, b) in enumerate(zip(replayed, recorded))
                for d in same_but_redacted(a, b, "%s/%d" % (path, i))]
    return [] if replayed == recorded else [path or "/"]


class CliAllOperations(e2e.MockTestCase):
    def setUp(self):
        self.spec = allops.Spec(allops.load_spec(allops.bundled_spec_path()))
        self.tmp = tempfile.mkdtemp(prefix="cbkit-allops-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_spec_show_every_operation(self):
        for name, op in self.spec.ops.items():
            with self.subTest(operation=name):
                p = cbkit("spec", "show", name)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stderr, "")
                lines = p.stdout.splitlines()
                self.assertEqual(lines[0], name)
                self.assertIn("  input:  %s" % op["input"], lines)
                self.assertIn("  output: %s" % op["output"], lines)
                self.assertIn("%s (structure)" % op["input"], p.stdout)

    def test_spec_show_every_logs_operation(self):
        spec_path = import_logs(self)
        spec = allops.Spec(allops.load_spec(spec_path))
        for name, op in spec.ops.items():
            with self.subTest(operation=name):
                p = cbkit("spec", "show", "--spec", spec_path, name)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stdout.splitlines()[0],
                                 name + (" (deprecated)" if op.get("deprecated") else ""))

    def test_validate_every_operation(self):
        m = self.start_mock("--seed", "5")
        refused = 0
        for name in self.spec.ops:
            with self.subTest(operation=name):
                req = json.dumps(self.spec.request(name))
                p = cbkit("validate", "--op", name, "--request", "-", stdin=req)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertEqual(p.stdout.strip(), "<stdin>: valid")
                status, _, data = m.raw(req, target=name)
                self.assertEqual(status, 200)
                p = cbkit("validate", "--op", name, "--response", "--strict", "-",
                          stdin=data.decode())
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                members = [x for x in self.spec.constrained(name) if x[2] != "required"]
                if not members:
                    continue
                path, _, kind, value = members[0]
                bad = json.dumps(self.spec.invalid_request(name, path, value))
                p = cbkit("validate", "--op", name, "--request", "-", stdin=bad)
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn(": error: %s:" % pointer(path), p.stdout)
                refused += 1
        self.assertGreaterEqual(refused, 50)

    def test_a_scenario_rule_for_every_operation(self):
        path = os.path.join(self.tmp, "every-op.yaml")
        rules = [{"name": "rule-%s" % name, "match": {"operation": name},
                  "respond": {"error": "ResourceNotFoundException",
                              "message": "scenario answered %s" % name}}
                 for name in self.spec.ops]
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"scenario": "every-operation", "rules": rules}, f)  # JSON is YAML
        p = cbkit("scenario", "lint", path)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        m = self.start_mock("--scenario", path)
        for name in self.spec.ops:
            with self.subTest(operation=name):
                status, headers, data = m.raw(json.dumps(self.spec.request(name)), target=name)
                doc = self.assertAwsError(status, headers, data, "ResourceNotFoundException")
                self.assertEqual(doc["message"], "scenario answered %s" % name)
        journal = m.settled_requests()["requests"]
        self.assertEqual([e["answeredBy"] for e in journal],
                         ["scenario every-operation/rule-%s" % n for n in self.spec.ops])

    def test_record_and_replay_every_operation(self):
        upstream = self.start_mock("--seed", "9")
        cassette = os.path.join(self.tmp, "every-op.yaml")
        rec = e2e.Server("record", "--cassette", cassette, "--upstream", upstream.url,
                         "--region", "us-east-1", env=e2e.client_env())
        self.addCleanup(rec.cleanup)
        answers = {}
        for name in self.spec.ops:
            status, _, data = e2e.raw_request(rec.port, json.dumps(self.spec.request(name)),
                                              target=name)
            self.assertEqual(status, 200, "%s: %s" % (name, data[:300]))
            answers[name] = data
        rec.stop(expect=0)
        upstream.stop()
        replay = self.start_mock("--cassette", cassette)
        for name in self.spec.ops:
            with self.subTest(operation=name):
                status, _, data = replay.raw(json.dumps(self.spec.request(name)), target=name)
                self.assertEqual(status, 200, data[:300])
                # the cassette keeps no secret: sensitive members read [REDACTED]
                self.assertEqual(same_but_redacted(json.loads(data), json.loads(answers[name])),
                                 [], name)
        journal = replay.settled_requests()["requests"]
        self.assertTrue(all(e["answeredBy"].startswith("cassette ") for e in journal))
        self.assertEqual(len(journal), 59)
