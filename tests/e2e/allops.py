"""Requests for every operation of a cbkit spec, built from the spec itself (its YAML, read with
PyYAML): a minimal valid request per operation (its required members, each value within its
constraints), and one invalid request per constrained member of its input (a value outside the
member's length, range, enum, pattern or list caps, or a required member left out), with the
path AWS names the member by in its validation message.

Used by the end-to-end tests that send every operation through real clients
(test_all_operations, test_js_all_operations, test_cli_all_operations).
"""

import os
import re

import yaml

# Strings tried, in order, for a required string member with a pattern.
CANDIDATES = ("example", "example1", "a1", "ab", "a", "1", "0", "arn:aws:logs:us-east-1:123456789012:x",
              "s3://example-bucket", "https://example.com", "1.0", "123456789012",
              "a" * 36)

# Strings tried, in order, for a value a pattern refuses.
NON_MATCHING = ("!", "#", " ", "\t", "é", "-", ".", "a b", "@@", "\u2603", "!" * 3, "Z!")

# The mock's model of builds and batches (RetryBuild, StopBuild, RetryBuildBatch,
# StopBuildBatch) needs an id of the form project:uuid, as CodeBuild does; the ids of RetryBuild
# and RetryBuildBatch are optional in the spec but required by the service.
CODEBUILD_EXTRA = {"RetryBuild": {"id": "my-app:0f0e0d0c-0000-4000-8000-000000000002"},
                   "StopBuild": {"id": "my-app:0f0e0d0c-0000-4000-8000-000000000002"},
                   "RetryBuildBatch": {"id": "my-app:0f0e0d0c-0000-4000-8000-000000000003"},
                   "StopBuildBatch": {"id": "my-app:0f0e0d0c-0000-4000-8000-000000000004"}}

# CloudWatch Logs' log-event reads need a log group (by name or ARN), which the model leaves
# optional and the service requires (services/logs answers them).
LOGS_EXTRA = {"GetLogEvents": {"logGroupName": "/aws/codebuild/my-app"},
              "FilterLogEvents": {"logGroupName": "/aws/codebuild/my-app"}}

# Caps above which an invalid value is not sent (the request would exceed the body limit).
MAX_STRING = 100000
MAX_ITEMS = 1000


def source_dir():
    return os.environ.get("CBK_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")


def bundled_spec_path():
    return os.path.join(source_dir(), "spec", "codebuild", "2016-10-06.yaml")


def load_spec(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def py_pattern(p):
    """A PCRE2 pattern of the models as Python re understands it: its Unicode classes (used
    inside [...] in the models) narrowed to ASCII, enough to pick a value."""
    p = p.replace(r"\p{L}", "a-zA-Z").replace(r"\p{N}", "0-9").replace(r"\p{Z}", " ")
    return re.compile(p)


def lower_first(name):
    """botocore's and the JS SDK's operation method names: BatchGetBuilds -> batch_get_builds."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Spec:
    """A spec's shapes and the requests built from them."""

    def __init__(self, spec):
        self.spec = spec
        self.shapes = spec["shapes"]
        self.ops = spec["operations"]
        self.prefix = spec["metadata"]["targetPrefix"]
        self.content_type = "application/x-amz-json-%s" % spec["metadata"]["jsonVersion"]
        self.is_codebuild = self.prefix == "CodeBuild_20161006"

    # ---- constraints ---------------------------------------------------------------------

    def constraints(self, member):
        """The constraints in effect for a member: its shape's, refined by its own."""
        sh = self.shapes[member["shape"]]
        c = {k: v for k, v in sh.items() if k in ("min", "max", "enum", "pattern")}
        c.update({k: v for k, v in member.items() if k in ("min", "max", "enum", "pattern")})
        return c

    # ---- valid values --------------------------------------------------------------------

    def string(self, c):
        if "enum" in c:
            return c["enum"][0]
        lo, hi = c.get("min", 0), c.get("max")
        cands = CANDIDATES if "pattern" in c else ("example",)
        for s in cands:
            s = s + "x" * max(0, lo - len(s))
            if hi is not None and len(s) > hi:
                s = s[:hi]
            if len(s) >= lo and ("pattern" not in c or py_pattern(c["pattern"]).search(s)):
                return s
        raise AssertionError("no candidate string fits %r" % (c,))

    def value(self, member, depth=0):
        sh = self.shapes[member["shape"]]
        c = self.constraints(member)
        t = sh["type"]
        if t == "structure":
            return {r: self.value(sh["members"][r], depth + 1) for r in sh.get("required", [])}
        if t == "list":
            return [self.value(sh["member"], depth + 1) for _ in range(c.get("min", 0))]
        if t == "map":
            n = c.get("min", 0)
            return {self.value(sh["key"]) + str(i): self.value(sh["value"], depth + 1)
                    for i in range(n)}
        if t == "string":
            return self.string(c)
        if t in ("integer", "long"):
            return max(c.get("min", 1), min(1, c.get("max", 1)))
        if t in ("double", "float"):
            return float(max(c.get("min", 1), min(1, c.get("max", 1))))
        if t == "boolean":
            return False
        if t == "timestamp":
            return 1700000000
        if t == "blob":
            return "ZXhhbXBsZQ=="
        if t == "document":
            return {}
        raise AssertionError("unknown type %s" % t)

    def request(self, name):
        """The minimal valid request of operation 'name' (with what the CodeBuild and Logs models
        need beyond the spec)."""
        req = self.value({"shape": self.ops[name]["input"]})
        if self.is_codebuild:
            req.update(CODEBUILD_EXTRA.get(name, {}))
        elif self.prefix == "Logs_20140328":
            req.update(LOGS_EXTRA.get(name, {}))
        return req

    # ---- invalid values ------------------------------------------------------------------

    def bad_values(self, member):
        """[(constraint, invalid JSON value)] for the constraints of 'member' (not required)."""
        sh = self.shapes[member["shape"]]
        c = self.constraints(member)
        t = sh["type"]
        out = []
        if t == "string":
            if "enum" in c:
                out.append(("enum", "NOT_ONE_OF_THE_VALUES"))
            if c.get("min", 0) > 0:
                out.append(("min", "x" * (c["min"] - 1)))
            if "max" in c and c["max"] < MAX_STRING:
                out.append(("max", "x" * (c["max"] + 1)))
            if "pattern" in c and "enum" not in c:
                rx = py_pattern(c["pattern"])
                lo, hi = c.get("min", 0), c.get("max", MAX_STRING)
                for s in NON_MATCHING:
                    s = s * max(1, lo)
                    if len(s) <= hi and not rx.search(s):
                        out.append(("pattern", s))
                        break
        elif t in ("integer", "long"):
            if "min" in c:
                out.append(("min", c["min"] - 1))
            if "max" in c:
                out.append(("max", c["max"] + 1))
        elif t in ("double", "float"):
            if "min" in c:
                out.append(("min", float(c["min"]) - 1.0))
            if "max" in c:
                out.append(("max", float(c["max"]) + 1.0))
        elif t == "list":
            item = self.value(sh["member"])
            if c.get("min", 0) > 0:
                out.append(("min", [item] * (c["min"] - 1)))
            if "max" in c and c["max"] < MAX_ITEMS:
                out.append(("max", [item] * (c["max"] + 1)))
        elif t == "map":
            key = self.value(sh["key"])
            val = self.value(sh["value"])
            if c.get("min", 0) > 0:
                out.append(("min", {key + str(i): val for i in range(c["min"] - 1)}))
            if "max" in c and c["max"] < MAX_ITEMS:
                out.append(("max", {key + str(i): val for i in range(c["max"] + 1)}))
        elif t == "blob":
            if c.get("min", 0) > 0:
                out.append(("min", ""))
        return out

    def constrained(self, op_name, max_depth=4):
        """Every constrained member reachable in the input of op_name, as
        [(path, aws_path, constraint, value)]: path is the list of keys and list indices to the
        member, value the invalid value (None: leave the required member out). Structures
        reached twice on one path (recursive shapes) are not entered again."""
        out = []

        def walk(shape_name, path, aws, seen):
            sh = self.shapes[shape_name]
            if sh["type"] != "structure" or len(path) >= max_depth:
                return
            required = set(sh.get("required", []))
            for name, m in sh["members"].items():
                p, a = path + [name], aws + [name]
                if name in required:
                    out.append((p, ".".join(a), "required", None))
                for kind, v in self.bad_values(m):
                    out.append((p, ".".join(a), kind, v))
                target = self.shapes[m["shape"]]
                if target["type"] == "structure" and m["shape"] not in seen:
                    walk(m["shape"], p, a, seen | {m["shape"]})
                elif target["type"] == "list":
                    item = target["member"]
                    ip, ia = p + [0], a + ["1", "member"]
                    for kind, v in self.bad_values(item):
                        out.append((ip, ".".join(ia), kind, v))
                    if self.shapes[item["shape"]]["type"] == "structure" and \
                            item["shape"] not in seen:
                        walk(item["shape"], ip, ia, seen | {item["shape"]})

        walk(self.ops[op_name]["input"], [], [], {self.ops[op_name]["input"]})
        return out

    def invalid_request(self, op_name, path, value):
        """The minimal request of op_name with the member at 'path' set to 'value' (None: left
        out), the structures and lists on the way there made minimal and valid."""
        req = self.request(op_name)
        shape = self.shapes[self.ops[op_name]["input"]]
        node = req
        for i, key in enumerate(path[:-1]):
            nxt = path[i + 1]
            if shape["type"] == "structure":
                m = shape["members"][key]
            else:
                m = shape["member"]
            target = self.shapes[m["shape"]]
            if isinstance(node, dict):
                if key not in node or not node[key]:
                    node[key] = self.value(m) if target["type"] != "list" else \
                        [self.value(target["member"])]
                child = node[key]
            else:
                child = node[key]
            if target["type"] == "list" and isinstance(nxt, int) and not child:
                child.append(self.value(target["member"]))
            node, shape = child, target
        last = path[-1]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
        return req
