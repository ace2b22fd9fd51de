// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Validate Kubernetes manifests offline against the API schema (the JSON
// schemas kubernetes-models ships, generated from the Kubernetes OpenAPI
// spec). Usage: node validate.js FILE...; prints one line per object, exits 1
// when any object is invalid, of an unknown kind, or carries a field the
// schema does not have.
'use strict';
const fs = require('fs');
const yaml = require('js-yaml');

const groups = {
  'v1': require('kubernetes-models/v1'),
  'apps/v1': require('kubernetes-models/apps/v1'),
  'scheduling.k8s.io/v1': require('kubernetes-models/scheduling.k8s.io/v1'),
  'rbac.authorization.k8s.io/v1': require('kubernetes-models/rbac.authorization.k8s.io/v1'),
};

// The invariants the agent depends on, beyond the schema: checked on the
// DaemonSet and the ConfigMap it mounts.
const needCaps = ['BPF', 'NET_ADMIN', 'PERFMON', 'SYS_PTRACE', 'SYS_RESOURCE'];
const needMounts = {
  '/sys/fs/bpf': '/sys/fs/bpf',
  '/sys/kernel/tracing': '/sys/kernel/tracing',
  '/sys/kernel/security': '/sys/kernel/security',
  '/host/sys/fs/cgroup': '/sys/fs/cgroup',
  '/host/run/containerd': '/run/containerd',
};

function invariants(ds, configMaps) {
  const errs = [];
  const spec = ds.spec.template.spec;
  const c = spec.containers.find((x) => x.name === 'fnguard');
  if (!c) return ['no container named fnguard'];
  const sc = c.securityContext || {};
  const args = c.args || [];
  const arg = (name) => {
    const a = args.find((x) => x.startsWith(`--${name}=`));
    return a && a.slice(name.length + 3);
  };
  if (!spec.hostPID) errs.push('hostPID must be true (records carry host pids; /proc/<pid>/exe)');
  if (sc.privileged) errs.push('privileged: use the capability set instead');
  const caps = ((sc.capabilities || {}).add || []).slice().sort();
  if (JSON.stringify(caps) !== JSON.stringify(needCaps))
    errs.push(`capabilities.add must be exactly ${needCaps}, not ${caps}`);
  if (JSON.stringify((sc.capabilities || {}).drop) !== JSON.stringify(['ALL']))
    errs.push('capabilities.drop must be [ALL]');
  if (!sc.readOnlyRootFilesystem) errs.push('readOnlyRootFilesystem must be true');
  if (!c.image) errs.push('no image');
  const vols = Object.fromEntries(spec.volumes.map((v) => [v.name, v]));
  const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.mountPath, m]));
  for (const [path, host] of Object.entries(needMounts)) {
    const m = mounts[path];
    const v = m && vols[m.name];
    if (!v || !v.hostPath || v.hostPath.path !== host)
      errs.push(`${path} must be the host's ${host}`);
  }
  for (const ro of ['/host/sys/fs/cgroup', '/host/run/containerd', '/sys/kernel/security'])
    if (mounts[ro] && !mounts[ro].readOnly) errs.push(`${ro} must be read-only`);
  const profiles = arg('profiles');
  const pm = profiles && mounts[profiles];
  const pv = pm && vols[pm.name];
  if (!pv || !pv.configMap || !configMaps[pv.configMap.name])
    errs.push(`--profiles ${profiles} must be a mounted ConfigMap of these manifests`);
  if (arg('cgroup-root') !== '/host/sys/fs/cgroup') errs.push('--cgroup-root=/host/sys/fs/cgroup');
  if (arg('state-root') !== '/host') errs.push('--state-root=/host');
  const port = arg('metrics') && Number(arg('metrics').split(':').pop());
  const cport = (c.ports || []).find((p) => p.containerPort === port);
  if (!cport) errs.push('--metrics port must be a container port');
  const probe = (p, path) =>
    p && p.httpGet && p.httpGet.path === path && (p.httpGet.port === port || p.httpGet.port === cport.name);
  if (!probe(c.livenessProbe, '/healthz')) errs.push('livenessProbe must GET /healthz on the metrics port');
  if (!probe(c.readinessProbe, '/readyz')) errs.push('readinessProbe must GET /readyz on the metrics port');
  if (!(spec.tolerations || []).some((t) => t.operator === 'Exists' && !t.key))
    errs.push('a toleration of every taint (operator: Exists) so it runs on every node');
  if (!spec.priorityClassName) errs.push('a priorityClassName');
  if (!c.resources || !c.resources.requests || !c.resources.limits) errs.push('resources requests and limits');
  if (spec.automountServiceAccountToken !== false) errs.push('no service account token: no API rights used');
  return errs;
}

// --extract-profiles DIR FILE...: write every ConfigMap's data keys to DIR.
const argv = process.argv.slice(2);
let extractDir = null;
if (argv[0] === '--extract-profiles') {
  extractDir = argv[1];
  argv.splice(0, 2);
}

let bad = 0;
const objects = [];
for (const file of argv) {
  let docs;
  try {
    docs = yaml.loadAll(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.log(`${file}: not YAML: ${e.message}`);
    bad++;
    continue;
  }
  docs.filter((d) => d !== null && d !== undefined).forEach((doc, i) => {
    const where = `${file}[${i}] ${doc.kind}/${doc.metadata && doc.metadata.name}`;
    const group = groups[doc.apiVersion];
    const Model = group && group[doc.kind];
    if (!Model) {
      console.log(`${where}: unknown apiVersion/kind ${doc.apiVersion}/${doc.kind}`);
      bad++;
      return;
    }
    try {
      new Model(doc).validate();
      console.log(`${where}: ok`);
      objects.push(doc);
    } catch (e) {
      console.log(`${where}: ${e.message}`);
      bad++;
    }
  });
}
const configMaps = Object.fromEntries(
  objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o]));
for (const ds of objects.filter((o) => o.kind === 'DaemonSet')) {
  for (const e of invariants(ds, configMaps)) {
    console.log(`DaemonSet/${ds.metadata.name}: ${e}`);
    bad++;
  }
}
if (extractDir) {
  for (const cm of Object.values(configMaps))
    for (const [k, v] of Object.entries(cm.data || {})) fs.writeFileSync(`${extractDir}/${k}`, v);
}
process.exit(bad ? 1 : 0);
