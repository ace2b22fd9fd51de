// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A copy of deploy/kubernetes with one thing broken, for the validator to
// catch (tests/integration/test_deploy.c names the message it must print).
//   node tamper.js SRC_DIR DST_DIR CASE
// CASE is one of the keys of `cases`; "none" copies unchanged.
'use strict';
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');

const [src, dst, which] = process.argv.slice(2);
const agent = (ds) => ds.spec.template.spec.containers.find((c) => c.name === 'fnguard');
const mount = (ds, mp) => agent(ds).volumeMounts.find((m) => m.mountPath === mp);
const volume = (ds, name) => ds.spec.template.spec.volumes.find((v) => v.name === name);
const drop = (arr, pred) => arr.splice(arr.findIndex(pred), 1);

// Each case changes the parsed files (daemonset, kustomization, networkpolicy, seccomp).
const cases = {
  none: () => {},
  schema: (f) => { agent(f.daemonset).ports[0].containerPort = 'x'; },
  privileged: (f) => { agent(f.daemonset).securityContext.privileged = true; },
  hostpid: (f) => { f.daemonset.spec.template.spec.hostPID = true; },
  ptrace: (f) => { agent(f.daemonset).securityContext.capabilities.add.push('SYS_PTRACE'); },
  httpget: (f) => { agent(f.daemonset).livenessProbe = { httpGet: { path: '/healthz', port: 'metrics' } }; },
  'no-netpol': (f) => {
    drop(f.kustomization.resources, (r) => r === 'networkpolicy.yaml');
    f.networkpolicy = null;
  },
  'netpol-open': (f) => { delete f.networkpolicy.spec.ingress[0].from; },
  'netpol-port': (f) => { f.networkpolicy.spec.ingress[0].ports.push({ protocol: 'TCP', port: 22 }); },
  loopback: (f) => {
    const a = agent(f.daemonset).args;
    a[a.findIndex((x) => x.startsWith('--metrics='))] = '--metrics=127.0.0.1:9464';
    drop(f.kustomization.resources, (r) => r === 'networkpolicy.yaml');
    f.networkpolicy = null;
  },
  'containerd-whole': (f) => {
    const m = mount(f.daemonset, '/host/run/containerd/io.containerd.runtime.v2.task');
    m.mountPath = '/host/run/containerd';
    volume(f.daemonset, m.name).hostPath.path = '/run/containerd';
  },
  'no-crio': (f) => {
    const m = mount(f.daemonset, '/host/run/containers/storage/overlay-containers');
    drop(agent(f.daemonset).volumeMounts, (x) => x === m);
    drop(f.daemonset.spec.template.spec.volumes, (v) => v.name === m.name);
  },
  'tracefs-rw': (f) => { delete mount(f.daemonset, '/sys/kernel/tracing').readOnly; },
  'seccomp-unconfined': (f) => { agent(f.daemonset).securityContext.seccompProfile = { type: 'Unconfined' }; },
  'seccomp-mount': (f) => { f.seccomp.syscalls[0].names.push('mount'); },
};
if (!cases[which]) {
  console.error(`tamper.js: no case "${which}" (${Object.keys(cases)})`);
  process.exit(2);
}
fs.cpSync(src, dst, { recursive: true });
const files = {
  daemonset: yaml.load(fs.readFileSync(path.join(src, 'daemonset.yaml'), 'utf8')),
  kustomization: yaml.load(fs.readFileSync(path.join(src, 'kustomization.yaml'), 'utf8')),
  networkpolicy: yaml.load(fs.readFileSync(path.join(src, 'networkpolicy.yaml'), 'utf8')),
  seccomp: JSON.parse(fs.readFileSync(path.join(src, 'seccomp/fnguard-agent.json'), 'utf8')),
};
if (which === 'none') process.exit(0);
cases[which](files);
for (const name of ['daemonset', 'kustomization', 'networkpolicy']) {
  const f = path.join(dst, `${name}.yaml`);
  if (files[name]) fs.writeFileSync(f, yaml.dump(files[name]));
  else fs.rmSync(f);
}
fs.writeFileSync(path.join(dst, 'seccomp/fnguard-agent.json'), JSON.stringify(files.seccomp, null, 2));
