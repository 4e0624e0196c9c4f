#!/usr/bin/python3
"""Cross-check a cbkit spec (YAML) against the real AWS CodeBuild models.

usage: crosscheck.py SPEC_YAML MODELS_DIR [SEEDS_DIR]

MODELS_DIR holds codebuild-botocore-1.43.11.json (newest model, with constraints) and its
paginators (codebuild-botocore-1.43.11.paginators.json), codebuild-botocore-2022.json and
codebuild-awssdk-v2.json (member sets only).
SEEDS_DIR (default: MODELS_DIR/../seeds when it exists) holds the seed pages; when present,
the members printed in their Request/Response Syntax blocks are checked too.

Checks, for every operation of the newest model (59) and of the 2022 model (45):
  * the spec is well formed in the ways docs/spec-format.md states (known keys only, keys that
    apply to the shape's type, references resolve, enum values unique, min <= max);
  * the spec has exactly the newest model's operations, with its input/output/errors; every
    shape reachable from an operation of the newest or the 2022 model is in the spec;
  * the paginators equal the newest model's paginators file (tokens, limit, result keys);
  * for every spec shape that the newest model also has: same type; spec members are a superset
    of the model's with the same target shape; same required list; spec enum is a superset of the
    newest and of the 2022 model's enum; min/max equal the newest model's unless the spec cites a
    seed for its own value (BuildTimeOut must be 5..2160);
  * member-level min/max/pattern/enum (an extension) cite a seed;
  * every shape or member carrying min/max/enum/pattern/required has a source, and every source
    citation starts with an id declared under `sources`;
  * every member of the aws-sdk v2 input/output trees of its operations (50) is in the spec;
  * every member printed in the seeds' syntax blocks is in the spec (when SEEDS_DIR is found).

Exit status: 0 when there are no findings, 1 otherwise (the findings are listed), 2 on usage or
I/O errors. Uses only the Python standard library and PyYAML (Debian python3-yaml).
"""
import ast
import json
import os
import re
import sys

import yaml

NEWEST = 'codebuild-botocore-1.43.11.json'
PAGINATORS = 'codebuild-botocore-1.43.11.paginators.json'
OLD = 'codebuild-botocore-2022.json'
V2 = 'codebuild-awssdk-v2.json'

TYPES = {'structure', 'list', 'map', 'string', 'integer', 'long', 'boolean', 'timestamp', 'double',
         'float', 'blob', 'document'}
TOP_KEYS = {'cbkit-spec', 'metadata', 'documentation', 'sources', 'operations', 'paginators',
            'shapes'}
PAGINATOR_KEYS = {'inputToken', 'outputToken', 'limitKey', 'resultKeys', 'pageSize', 'source'}
META_KEYS = {'targetPrefix', 'protocol', 'jsonVersion', 'apiVersion', 'serviceId', 'serviceFullName',
             'endpointPrefix', 'signingName', 'signatureVersion', 'uid'}
SOURCE_KEYS = {'file', 'title', 'url', 'note'}
OP_KEYS = {'input', 'output', 'errors', 'documentation', 'source', 'deprecated'}
SHAPE_KEYS = {'type', 'members', 'required', 'member', 'key', 'value', 'min', 'max', 'enum', 'pattern',
              'sensitive', 'deprecated', 'exception', 'error', 'documentation', 'source', 'union',
              'timestampFormat'}
MEMBER_KEYS = {'shape', 'documentation', 'source', 'deprecated', 'sensitive', 'min', 'max', 'enum',
               'pattern', 'volatile'}
ERROR_KEYS = {'httpStatusCode', 'senderFault', 'code'}
MINMAX_TYPES = {'string', 'blob', 'list', 'map', 'integer', 'long', 'double', 'float'}
NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
CONSTRAINT_KEYS = ('min', 'max', 'enum', 'pattern')


class Checker:
    def __init__(self, spec, newest, old, v2, paginators):
        self.spec, self.new, self.old, self.v2 = spec, newest, old, v2
        self.paginators = paginators.get('pagination', {})
        self.findings = []
        self.shapes = spec.get('shapes') or {}
        self.source_ids = set((spec.get('sources') or {}).keys())

    def find(self, where, msg):
        self.findings.append('%s: %s' % (where, msg))

    # ------------------------------------------------------------------ format
    def check_format(self):
        spec = self.spec
        for k in spec:
            if k not in TOP_KEYS:
                self.find('(top level)', "unknown key '%s'" % k)
        if spec.get('cbkit-spec') != 1:
            self.find('cbkit-spec', 'must be the integer 1')
        meta = spec.get('metadata') or {}
        for k in meta:
            if k not in META_KEYS:
                self.find('metadata', "unknown key '%s'" % k)
        for k in ('targetPrefix', 'protocol', 'jsonVersion', 'apiVersion'):
            if k not in meta:
                self.find('metadata', "missing required key '%s'" % k)
        newmeta = self.new['metadata']
        for k in META_KEYS - {'signingName'}:
            if k in meta and meta[k] != newmeta.get(k):
                self.find('metadata.' + k, '%r differs from the model (%r)' % (meta[k], newmeta.get(k)))
        for sid, src in (spec.get('sources') or {}).items():
            for k in (src or {}):
                if k not in SOURCE_KEYS:
                    self.find('sources.' + sid, "unknown key '%s'" % k)
        for name, op in (spec.get('operations') or {}).items():
            where = 'operations.' + name
            for k in op:
                if k not in OP_KEYS:
                    self.find(where, "unknown key '%s'" % k)
            if 'input' not in op:
                self.find(where, "missing required key 'input'")
            for k in ('input', 'output'):
                if k in op and self.shapes.get(op[k], {}).get('type') != 'structure':
                    self.find(where + '.' + k, "'%s' is not a structure shape of the spec" % op[k])
            for e in op.get('errors') or []:
                if not self.shapes.get(e, {}).get('exception'):
                    self.find(where + '.errors', "'%s' is not a structure marked exception: true" % e)
            self.check_sources(where, op)
        for name, sh in self.shapes.items():
            self.check_shape_format(name, sh)

    def check_shape_format(self, name, sh):
        where = 'shapes.' + name
        if not NAME_RE.match(name):
            self.find(where, 'invalid shape name')
        if not isinstance(sh, dict):
            self.find(where, 'not a mapping')
            return
        t = sh.get('type')
        if t not in TYPES:
            self.find(where, 'missing or unknown type %r' % t)
        for k in sh:
            if k not in SHAPE_KEYS:
                self.find(where, "unknown key '%s'" % k)
        applies = {'members': {'structure'}, 'required': {'structure'}, 'member': {'list'},
                   'key': {'map'}, 'value': {'map'}, 'min': MINMAX_TYPES, 'max': MINMAX_TYPES,
                   'enum': {'string'}, 'pattern': {'string'}, 'exception': {'structure'},
                   'union': {'structure'}, 'timestampFormat': {'timestamp'}}
        for k, ts in applies.items():
            if k in sh and t not in ts:
                self.find(where, "key '%s' does not apply to type %s" % (k, t))
        if 'error' in sh and not sh.get('exception'):
            self.find(where, "key 'error' needs exception: true")
        for k in sh.get('error') or {}:
            if k not in ERROR_KEYS:
                self.find(where + '.error', "unknown key '%s'" % k)
        if t == 'list' and 'member' not in sh:
            self.find(where, "list without 'member'")
        for k in ('member', 'key', 'value'):
            if k in sh and sh[k].get('shape') not in self.shapes:
                self.find(where + '.' + k, "unknown shape '%s'" % sh[k].get('shape'))
        self.check_constraint_values(where, sh, t)
        members = sh.get('members') or {}
        for r in sh.get('required') or []:
            if r not in members:
                self.find(where + '.required', "'%s' is not a member" % r)
        for mn, m in members.items():
            mw = where + '.members.' + mn
            for k in m:
                if k not in MEMBER_KEYS:
                    self.find(mw, "unknown key '%s'" % k)
            target = self.shapes.get(m.get('shape'))
            if target is None:
                self.find(mw + '.shape', "unknown shape '%s'" % m.get('shape'))
                continue
            tt = target.get('type')
            for k in ('min', 'max'):
                if k in m and tt not in MINMAX_TYPES:
                    self.find(mw, "member-level '%s' does not apply to target type %s" % (k, tt))
            for k in ('enum', 'pattern'):
                if k in m and tt != 'string':
                    self.find(mw, "member-level '%s' does not apply to target type %s" % (k, tt))
            self.check_constraint_values(mw, m, tt)
            self.check_sources(mw, m)
            if any(k in m for k in CONSTRAINT_KEYS) and not m.get('source'):
                self.find(mw, 'member-level constraint without a source')
        self.check_sources(where, sh)
        if any(k in sh for k in CONSTRAINT_KEYS + ('required',)) and not sh.get('source'):
            self.find(where, 'constraint (%s) without a source' %
                      ', '.join(k for k in CONSTRAINT_KEYS + ('required',) if k in sh))

    def check_constraint_values(self, where, d, t):
        for k in ('min', 'max'):
            if k in d:
                v = d[k]
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    self.find(where + '.' + k, 'not a number: %r' % (v,))
                elif t in ('integer', 'long', 'string', 'blob', 'list', 'map') and v != int(v):
                    self.find(where + '.' + k, 'not a whole number: %r' % (v,))
                elif t == 'integer' and not -2**31 <= v < 2**31:
                    self.find(where + '.' + k, '%r does not fit a 32-bit integer' % (v,))
                elif t == 'long' and not -2**63 <= v < 2**63:
                    self.find(where + '.' + k, '%r does not fit a 64-bit integer' % (v,))
        if isinstance(d.get('min'), (int, float)) and isinstance(d.get('max'), (int, float)) \
                and d['min'] > d['max']:
            self.find(where, 'min %r is greater than max %r' % (d['min'], d['max']))
        if 'enum' in d:
            vals = d['enum']
            if not isinstance(vals, list) or not all(isinstance(v, str) for v in vals):
                self.find(where + '.enum', 'must be a list of strings')
            else:
                seen = set()
                for v in vals:
                    if v in seen:
                        self.find(where + '.enum', "duplicate enum value '%s'" % v)
                    seen.add(v)
        if 'pattern' in d:
            try:
                # Python's re has no Unicode properties; PCRE2 (the loader) checks those
                re.compile(re.sub(r'\\[pP]\{[A-Za-z_&]+\}', 'a', d['pattern']))
            except re.error as e:
                self.find(where + '.pattern', 'invalid regular expression: %s' % e)

    def citations(self, d):
        s = d.get('source')
        if s is None:
            return []
        return s if isinstance(s, list) else [s]

    def check_sources(self, where, d):
        for c in self.citations(d):
            if not isinstance(c, str):
                self.find(where + '.source', 'not a string: %r' % (c,))
                continue
            if not any(c == sid or c.startswith(sid + ': ') for sid in self.source_ids):
                self.find(where + '.source', "'%s' does not start with a declared source id" % c[:60])

    def cites_reference(self, d):
        """A citation of a shared reference page (what real clients and services do)."""
        return any(isinstance(c, str) and c.startswith('ref-') for c in self.citations(d))

    def cites_seed(self, d, value=None):
        for c in self.citations(d):
            if isinstance(c, str) and c.startswith('seed-'):
                if value is None or re.search(r'(?<![0-9])%s(?![0-9])' % re.escape(str(value)), c):
                    return True
        return False

    # ------------------------------------------------------------------ models
    def reachable(self, model):
        seen, queue = [], []
        for op in model['operations']:
            d = model['operations'][op]
            queue += [d['input']['shape'], d['output']['shape']] + [e['shape'] for e in d.get('errors', [])]
        while queue:
            s = queue.pop(0)
            if s in seen:
                continue
            seen.append(s)
            sh = model['shapes'][s]
            for k in ('member', 'key', 'value'):
                if k in sh:
                    queue.append(sh[k]['shape'])
            queue += [m['shape'] for m in sh.get('members', {}).values()]
        return seen

    def check_models(self):
        ops = self.spec.get('operations') or {}
        for op in ops:
            if op not in self.new['operations']:
                self.find('operations.' + op, 'not an operation of the newest model')
        for op in self.new['operations']:
            mo = self.new['operations'][op]
            so = ops.get(op)
            if so is None:
                self.find('operations.' + op, 'missing')
                continue
            for k in ('input', 'output'):
                if so.get(k) != mo[k]['shape']:
                    self.find('operations.%s.%s' % (op, k), '%r, model has %r' % (so.get(k), mo[k]['shape']))
            me = sorted(e['shape'] for e in mo.get('errors', []))
            se = sorted(so.get('errors') or [])
            if me != se:
                self.find('operations.%s.errors' % op, '%s, model has %s' % (se, me))
        for label, model in (('model-1.43.11', self.new), ('model-2022', self.old)):
            for s in self.reachable(model):
                if s not in self.shapes:
                    self.find('shapes.' + s, 'reachable in %s but missing from the spec' % label)
        for name, sh in self.shapes.items():
            ms = self.new['shapes'].get(name)
            if ms is None:
                continue
            where = 'shapes.' + name
            if sh.get('type') != ms['type']:
                self.find(where, 'type %r, model has %r' % (sh.get('type'), ms['type']))
            smem = sh.get('members') or {}
            for mn, mm in ms.get('members', {}).items():
                if mn not in smem:
                    self.find(where + '.members', "model member '%s' is missing" % mn)
                elif smem[mn].get('shape') != mm['shape']:
                    self.find(where + '.members.' + mn, 'targets %r, model has %r' % (smem[mn].get('shape'), mm['shape']))
            if 'member' in ms and (sh.get('member') or {}).get('shape') != ms['member']['shape']:
                self.find(where + '.member', '%r, model has %r' % ((sh.get('member') or {}).get('shape'), ms['member']['shape']))
            if sorted(sh.get('required') or []) != sorted(ms.get('required', [])):
                self.find(where + '.required', '%s, model has %s' % (sh.get('required') or [], ms.get('required', [])))
            senum = set(sh.get('enum') or [])
            for label, model in (('model-1.43.11', self.new), ('model-2022', self.old)):
                menum = (model['shapes'].get(name) or {}).get('enum', [])
                missing = [v for v in menum if v not in senum]
                if missing:
                    self.find(where + '.enum', 'lacks %s value(s) %s' % (label, ', '.join(missing)))
            for k in ('min', 'max'):
                if sh.get(k) != ms.get(k):
                    if k not in sh:
                        self.find(where + '.' + k, 'missing; model has %r' % ms[k])
                    elif not self.cites_seed(sh, sh[k]):
                        self.find(where + '.' + k, '%r differs from the model (%r) and no seed citation states %r'
                                  % (sh[k], ms.get(k), sh[k]))
            if sh.get('pattern') != ms.get('pattern') and not self.cites_seed(sh):
                self.find(where + '.pattern', '%r differs from the model (%r) without a seed citation'
                          % (sh.get('pattern'), ms.get('pattern')))
        bt = self.shapes.get('BuildTimeOut', {})
        if (bt.get('min'), bt.get('max')) != (5, 2160):
            self.find('shapes.BuildTimeOut', 'must be 5..2160 (seed-003), is %r..%r' % (bt.get('min'), bt.get('max')))
        for name, sh in self.shapes.items():
            for mn, m in (sh.get('members') or {}).items():
                if any(k in m for k in CONSTRAINT_KEYS) and not (self.cites_seed(m) or self.cites_reference(m)):
                    self.find('shapes.%s.members.%s' % (name, mn),
                              'member-level constraint without a seed or reference citation')

    # ------------------------------------------------------------------ paginators
    def check_paginators(self):
        spec_pags = self.spec.get('paginators') or {}
        for k in spec_pags:
            if k not in self.paginators:
                self.find('paginators.' + k, 'not in the paginators file')
        for op, p in self.paginators.items():
            sp = spec_pags.get(op)
            where = 'paginators.' + op
            if sp is None:
                self.find(where, 'missing')
                continue
            for k in sp:
                if k not in PAGINATOR_KEYS:
                    self.find(where, "unknown key '%s'" % k)
            want = {'inputToken': p.get('input_token'), 'outputToken': p.get('output_token'),
                    'limitKey': p.get('limit_key')}
            for k, v in want.items():
                if sp.get(k) != v:
                    self.find(where + '.' + k, '%r, the paginators file has %r' % (sp.get(k), v))
            rk = p.get('result_key')
            rk = rk if isinstance(rk, list) else [rk]
            if sp.get('resultKeys') != rk:
                self.find(where + '.resultKeys', '%r, the paginators file has %r' % (sp.get('resultKeys'), rk))

    # ------------------------------------------------------------------ aws-sdk v2 member sets
    def v2_resolve(self, d):
        seen = set()
        while 'shape' in d and d['shape'] not in seen:
            seen.add(d['shape'])
            d = self.v2['shapes'][d['shape']]
        return d

    def check_v2(self):
        visited = set()

        def walk(v2def, spec_shape, path):
            d = self.v2_resolve(v2def)
            key = (id(d), spec_shape)
            if key in visited:
                return
            visited.add(key)
            sh = self.shapes.get(spec_shape)
            if sh is None:
                return  # reported elsewhere
            vt = d.get('type', 'string')
            st = sh.get('type')
            if vt != st:
                self.find(path, 'aws-sdk v2 type %s, spec shape %s is %s' % (vt, spec_shape, st))
                return
            if vt == 'structure':
                smem = sh.get('members') or {}
                for mn, md in d.get('members', {}).items():
                    if mn not in smem:
                        self.find(path, "aws-sdk v2 member '%s' is missing from %s" % (mn, spec_shape))
                    else:
                        walk(md, smem[mn]['shape'], path + '.' + mn)
            elif vt == 'list':
                walk(d['member'], sh['member']['shape'], path + '[]')

        for op in self.v2['operations']:
            vo = self.v2['operations'][op]
            so = (self.spec.get('operations') or {}).get(op, {})
            for k in ('input', 'output'):
                if k in vo and so.get(k):
                    walk(vo[k], so[k], '%s.%s' % (op, k))

    # ------------------------------------------------------------------ seed syntax blocks
    def check_seeds(self, seeds_dir):
        files = sorted(os.listdir(seeds_dir))

        def seed(prefix):
            for f in files:
                if f.startswith(prefix):
                    with open(os.path.join(seeds_dir, f), encoding='utf-8') as fh:
                        return fh.read()
            return None

        def json_block(text, start, end):
            a = text.index('{', text.index(start))
            b = text.index(end, a)
            s = re.sub(r'"string\s*"', '"s"', text[a:b])
            s = re.sub(r'\bboolean\b', 'true', s)
            s = re.sub(r'\bnumber\b', '1', s)
            return json.loads(s)

        def boto3_block(text):
            a = text.index('{', text.index('Response Syntax'))
            b = text.index('Response Structure', a)
            s = text[a:b].replace('datetime(2015, 1, 1)', '0').replace('True|False', 'True')
            s = re.sub(r"'[^']*'(\|'[^']*')+", "'e'", s)
            return ast.literal_eval(s)

        def walk(tree, spec_shape, path):
            sh = self.shapes.get(spec_shape)
            if sh is None:
                return
            if isinstance(tree, dict):
                if sh.get('type') != 'structure':
                    self.find(path, 'seed shows an object, spec shape %s is %s' % (spec_shape, sh.get('type')))
                    return
                for k, v in tree.items():
                    m = (sh.get('members') or {}).get(k)
                    if m is None:
                        self.find(path, "seed member '%s' is missing from %s" % (k, spec_shape))
                    else:
                        walk(v, m['shape'], path + '.' + k)
            elif isinstance(tree, list) and tree:
                if sh.get('type') != 'list':
                    self.find(path, 'seed shows an array, spec shape %s is %s' % (spec_shape, sh.get('type')))
                    return
                walk(tree[0], sh['member']['shape'], path + '[]')

        ops = self.spec.get('operations') or {}
        checked = 0
        for prefix, op, blocks in (('000_', 'RetryBuild', ('output',)), ('004_', 'StopBuild', ('input', 'output')),
                                   ('003_', 'StartBuildBatch', ('input', 'output'))):
            text = seed(prefix)
            if text is None or op not in ops:
                continue
            for kind in blocks:
                if kind == 'input':
                    tree = json_block(text, 'Request Syntax', 'Request Parameters')
                else:
                    tree = json_block(text, 'Response Syntax', 'Response Elements')
                walk(tree, ops[op][kind], 'seed %s%s.%s' % (prefix, op, kind))
                checked += 1
        text = seed('001_')
        if text is not None and 'RetryBuild' in ops:
            walk(boto3_block(text), ops['RetryBuild']['output'], 'seed 001_RetryBuild.output')
            checked += 1
        return checked


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write('usage: crosscheck.py SPEC_YAML MODELS_DIR [SEEDS_DIR]\n')
        return 2
    spec_path, models = argv[1], argv[2]
    seeds = argv[3] if len(argv) == 4 else os.path.join(models, '..', 'seeds')
    try:
        with open(spec_path, encoding='utf-8') as f:
            spec = yaml.safe_load(f)
        loaded = []
        for n in (NEWEST, OLD, V2, PAGINATORS):
            with open(os.path.join(models, n), encoding='utf-8') as f:
                loaded.append(json.load(f))
    except (OSError, ValueError, yaml.YAMLError) as e:
        sys.stderr.write('crosscheck: %s\n' % e)
        return 2
    if not isinstance(spec, dict):
        sys.stderr.write('crosscheck: %s: not a YAML mapping\n' % spec_path)
        return 2
    c = Checker(spec, *loaded)
    c.check_format()
    c.check_models()
    c.check_paginators()
    c.check_v2()
    seed_note = ''
    if os.path.isdir(seeds):
        seed_note = ', %d seed syntax blocks' % c.check_seeds(seeds)
    for f in c.findings:
        print('finding: ' + f)
    print('crosscheck: %d shapes, %d operations%s, %d findings'
          % (len(c.shapes), len(spec.get('operations') or {}), seed_note, len(c.findings)))
    return 1 if c.findings else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
