// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Validate Kubernetes manifests offline against the API schema (the JSON
// schemas kubernetes-models ships, generated from the Kubernetes OpenAPI
// spec), then the invariants the agent's safety depends on. Usage:
//   node validate.js [--extract-profiles DIR] FILE...
// FILE is a manifest (one or more objects), or a kustomization.yaml: its
// resources are read too, its configMapGenerator makes its ConfigMaps, and a
// manifest of its directory it does not list is an error (kubectl apply -k
// would leave it out). Prints one line per object and per broken invariant;
// exits 1 when anything is wrong. --extract-profiles writes the data of the
// ConfigMap mounted at the agent's --profiles to DIR.
'use strict';
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');

const groups = {
  'v1': require('kubernetes-models/v1'),
  'apps/v1': require('kubernetes-models/apps/v1'),
  'scheduling.k8s.io/v1': require('kubernetes-models/scheduling.k8s.io/v1'),
  'rbac.authorization.k8s.io/v1': require('kubernetes-models/rbac.authorization.k8s.io/v1'),
  'networking.k8s.io/v1': require('kubernetes-models/networking.k8s.io/v1'),
};

// deploy/container/Dockerfile's ENTRYPOINT: the agent when the container
// gives no command.
const imageEntrypoint = '/usr/bin/fnguard';
const needCaps = ['BPF', 'NET_ADMIN', 'PERFMON', 'SYS_RESOURCE'];
// mountPath -> the host path it must be. The runtimes' state is below
// --state-root; only the directories the agent reads.
const needMounts = {
  '/sys/fs/bpf': '/sys/fs/bpf',
  '/sys/kernel/tracing': '/sys/kernel/tracing',
  '/sys/kernel/security': '/sys/kernel/security',
  '/host/sys/fs/cgroup': '/sys/fs/cgroup',
  '/host/run/containerd/io.containerd.runtime.v2.task': '/run/containerd/io.containerd.runtime.v2.task',
  '/host/run/containers/storage/overlay-containers': '/run/containers/storage/overlay-containers',
};
// The only host directories the agent writes: pins, its sockets, its log,
// learned profiles. Every other host mount is read-only.
const writableHost = ['/sys/fs/bpf', '/run/fnguard', '/var/log/fnguard', '/var/lib/fnguard'];
// Container runtime API sockets: whoever connects is root on the node, and a
// read-only mount does not stop connect(). No hostPath may contain one.
const runtimeSockets = [
  '/run/containerd/containerd.sock', '/run/containerd/containerd.sock.ttrpc',
  '/run/containerd/s', '/run/k3s/containerd/containerd.sock', '/run/crio/crio.sock',
  '/run/docker.sock', '/run/cri-dockerd.sock',
];
const kubeletSeccompRoot = '/var/lib/kubelet/seccomp';
// What the agent cannot run without, and calls it never makes that a
// compromised agent could use to leave its container: the seccomp profile
// must allow the first and none of the second.
const seccompNeed = ['bpf', 'perf_event_open', 'execve'];
const seccompNever = [
  'mount', 'umount2', 'pivot_root', 'chroot', 'unshare', 'setns', 'ptrace', 'process_vm_readv',
  'process_vm_writev', 'init_module', 'finit_module', 'delete_module', 'kexec_load',
  'kexec_file_load', 'open_by_handle_at', 'fsopen', 'fsmount', 'move_mount', 'open_tree',
  'keyctl', 'add_key', 'request_key', 'userfaultfd', 'reboot', 'swapon', 'swapoff',
];

// /var/run is /run on every distribution that runs Kubernetes.
const normHost = (p) => path.posix.normalize(p).replace(/\/+$/, '').replace(/^\/var\/run(\/|$)/, '/run$1') || '/';
const within = (p, dir) => dir === '/' || p === dir || p.startsWith(`${dir}/`);

// Does a label selector select @labels? (An empty selector selects all.)
function selects(sel, labels) {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels || {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions || []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok = {
      In: () => has && e.values.includes(labels[e.key]),
      NotIn: () => !has || !e.values.includes(labels[e.key]),
      Exists: () => has,
      DoesNotExist: () => !has,
    }[e.operator];
    if (!ok || !ok()) return false;
  }
  return true;
}

const emptySel = (s) => !s || (!Object.keys(s.matchLabels || {}).length && !(s.matchExpressions || []).length);

// --metrics HOST:PORT: the port, and whether HOST is loopback only.
function metricsAddr(v) {
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(v || '');
  if (!m) return null;
  const host = m[1].replace(/^\[|\]$/g, '');
  return { port: Number(m[2]), loopback: host === 'localhost' || host === '::1' || /^127\./.test(host) };
}

// The NetworkPolicy half of "no port on the pod address without one".
function metricsPolicyErrors(ds, labels, metrics, port, portName, policies) {
  const errs = [];
  const ns = ds.metadata.namespace;
  const mine = policies.filter((p) => p.metadata.namespace === ns && selects(p.spec.podSelector, labels));
  // Policies add up: every one that selects the pods must admit no more.
  const ingress = mine.filter((p) => (p.spec.policyTypes || ['Ingress']).includes('Ingress'));
  if (!ingress.length)
    return [`--metrics=${metrics} listens on the pod address: no port on the pod address without a NetworkPolicy ` +
      `(selecting the pods' labels, policyTypes [Ingress]) that admits only TCP ${port} from named peers`];
  for (const p of ingress) {
    const name = `NetworkPolicy/${p.metadata.name}`;
    (p.spec.ingress || []).forEach((r, i) => {
      const where = `${name}: ingress[${i}]`;
      if (!r.ports || !r.ports.length) errs.push(`${where} has no ports: every port of the pod is open to it`);
      for (const pp of r.ports || [])
        if ((pp.protocol || 'TCP') !== 'TCP' || pp.endPort || (pp.port !== port && pp.port !== portName))
          errs.push(`${where} admits ${pp.protocol || 'TCP'} ${pp.port}${pp.endPort ? `-${pp.endPort}` : ''}: ` +
            `only TCP ${port} (metrics)`);
      if (!r.from || !r.from.length) errs.push(`${where} has no from: anyone may connect`);
      for (const f of r.from || []) {
        const everyone = (f.ipBlock && /\/0$/.test(f.ipBlock.cidr)) ||
          (f.namespaceSelector && emptySel(f.namespaceSelector) && emptySel(f.podSelector));
        if (everyone) errs.push(`${where}: a peer that is every pod or address is not a named peer`);
      }
    });
  }
  return errs;
}

// The seccomp profile in the format of a Localhost profile (the OCI
// runtime spec's linux.seccomp, which containerd reads as it is and CRI-O's
// Docker-style parser reads too).
function seccompErrors(text, where) {
  let p;
  try {
    p = JSON.parse(text);
  } catch (e) {
    return [`${where}: not JSON: ${e.message}`];
  }
  const errs = [];
  const keys = ['defaultAction', 'defaultErrnoRet', 'architectures', 'syscalls'];
  const extra = Object.keys(p).filter((k) => !keys.includes(k));
  if (extra.length) errs.push(`${where}: unknown keys ${extra}`);
  if (!/^SCMP_ACT_(ERRNO|KILL|KILL_PROCESS|KILL_THREAD)$/.test(p.defaultAction))
    errs.push(`${where}: defaultAction must refuse (SCMP_ACT_ERRNO), not ${p.defaultAction}`);
  for (const a of ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'])
    if (!(p.architectures || []).includes(a)) errs.push(`${where}: architectures lacks ${a}`);
  const allowed = new Set();
  (p.syscalls || []).forEach((s, i) => {
    const bad = Object.keys(s).filter((k) => !['names', 'action', 'errnoRet'].includes(k));
    if (bad.length) errs.push(`${where}: syscalls[${i}]: unknown keys ${bad}`);
    for (const n of s.names || []) {
      if (!/^[a-z0-9_]+$/.test(n)) errs.push(`${where}: syscalls[${i}]: "${n}" is not a syscall name`);
      if (s.action === 'SCMP_ACT_ALLOW') {
        if (allowed.has(n)) errs.push(`${where}: ${n} listed twice`);
        allowed.add(n);
      }
    }
  });
  for (const n of seccompNeed) if (!allowed.has(n)) errs.push(`${where}: the agent cannot run without ${n}`);
  const never = seccompNever.filter((n) => allowed.has(n));
  if (never.length) errs.push(`${where}: allows ${never}, which the agent never calls`);
  return errs;
}

function invariants(ds, configMaps, policies) {
  const errs = [];
  const spec = ds.spec.template.spec;
  const labels = ds.spec.template.metadata.labels || {};
  const c = spec.containers.find((x) => x.name === 'fnguard');
  if (!c) return ['no container named fnguard'];
  const sc = c.securityContext || {};
  const args = c.args || [];
  const arg = (name) => {
    const a = args.find((x) => x.startsWith(`--${name}=`));
    return a && a.slice(name.length + 3);
  };
  if (spec.hostPID) errs.push('hostPID must be absent or false: the agent reads no other process\'s /proc');
  if (spec.hostNetwork)
    errs.push('hostNetwork must be absent or false: NetworkPolicies do not apply to host-network pods');
  if (spec.hostIPC) errs.push('hostIPC must be absent or false');
  if (sc.privileged) errs.push('privileged: use the capability set instead');
  const caps = ((sc.capabilities || {}).add || []).slice().sort();
  if (JSON.stringify(caps) !== JSON.stringify(needCaps))
    errs.push(`capabilities.add must be exactly ${needCaps}, not ${caps}`);
  if (JSON.stringify((sc.capabilities || {}).drop) !== JSON.stringify(['ALL']))
    errs.push('capabilities.drop must be [ALL]');
  if (sc.allowPrivilegeEscalation !== false) errs.push('allowPrivilegeEscalation must be false');
  if (!sc.readOnlyRootFilesystem) errs.push('readOnlyRootFilesystem must be true');
  if (!c.image) errs.push('no image');

  const vols = Object.fromEntries(spec.volumes.map((v) => [v.name, v]));
  const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.mountPath, m]));
  const hostOf = (m) => vols[m.name] && vols[m.name].hostPath && normHost(vols[m.name].hostPath.path);
  for (const [mp, host] of Object.entries(needMounts))
    if (!mounts[mp] || hostOf(mounts[mp]) !== host) errs.push(`${mp} must be the host's ${host}`);
  for (const m of c.volumeMounts) {
    const host = hostOf(m);
    if (host && !m.readOnly && !writableHost.includes(host))
      errs.push(`${m.mountPath} must be read-only (the host's ${host})`);
  }
  for (const v of spec.volumes) {
    if (!v.hostPath) continue;
    const host = normHost(v.hostPath.path);
    const sock = runtimeSockets.find((s) => within(s, host));
    if (sock)
      errs.push(`volume ${v.name}: hostPath ${v.hostPath.path} holds a runtime's API socket (${sock}), ` +
        'root on the node: mount only the state directory');
  }

  const profiles = arg('profiles');
  const pm = profiles && mounts[profiles];
  const pv = pm && vols[pm.name];
  if (!pv || !pv.configMap || !configMaps[pv.configMap.name])
    errs.push(`--profiles ${profiles} must be a mounted ConfigMap of these manifests`);
  if (arg('cgroup-root') !== '/host/sys/fs/cgroup') errs.push('--cgroup-root=/host/sys/fs/cgroup');
  if (arg('state-root') !== '/host') errs.push('--state-root=/host');

  // Probes: an exec of the agent's `status` on the control socket it serves.
  const control = arg('control');
  if (!control) errs.push('--control=PATH must be given: the probes ask that socket');
  const bin = (c.command && c.command[0]) || imageEntrypoint;
  const want = [bin, 'status', '--control', control];
  const isStatus = (p) => {
    const cmd = p && p.exec && p.exec.command;
    if (!cmd || p.httpGet || p.tcpSocket || p.grpc) return false;
    const flat = cmd.length === 3 && cmd[2].startsWith('--control=')
      ? [cmd[0], cmd[1], '--control', cmd[2].slice(10)] : cmd;
    return JSON.stringify(flat) === JSON.stringify(want);
  };
  for (const name of ['livenessProbe', 'readinessProbe', 'startupProbe'])
    if ((c[name] || name !== 'startupProbe') && !isStatus(c[name]))
      errs.push(`${name} must exec ${want.join(' ')}, not use the metrics port ` +
        '(32 slow connections fill it and the agent is restarted)');

  // Metrics on the pod address only behind a NetworkPolicy.
  const metrics = arg('metrics');
  if (metrics !== undefined) {
    const ma = metricsAddr(metrics);
    if (!ma) errs.push(`--metrics=${metrics}: expected HOST:PORT or :PORT`);
    else if (!ma.loopback) {
      const cport = (c.ports || []).find((p) => p.containerPort === ma.port);
      if (!cport) errs.push('--metrics port must be a container port');
      errs.push(...metricsPolicyErrors(ds, labels, metrics, ma.port, cport && cport.name, policies));
    }
  }

  // Seccomp: the allowlist, installed on the node by an init container.
  const sp = sc.seccompProfile || {};
  if (sp.type !== 'Localhost' || !sp.localhostProfile)
    errs.push(`seccompProfile must be Localhost (the allowlist the init container installs), not ${sp.type}`);
  else {
    const onHost = path.posix.join(kubeletSeccompRoot, sp.localhostProfile);
    const key = path.posix.basename(onHost);
    const mountOf = (ic, pred) => (ic.volumeMounts || []).find((m) => vols[m.name] && pred(vols[m.name]));
    const isDir = (v) => v.hostPath && normHost(v.hostPath.path) === path.posix.dirname(onHost);
    const installer = (spec.initContainers || []).find((ic) => mountOf(ic, isDir));
    if (!installer)
      errs.push(`no init container mounts ${path.posix.dirname(onHost)} to install ${sp.localhostProfile}`);
    else {
      const dst = mountOf(installer, isDir);
      const src = mountOf(installer, (v) => v.configMap);
      const cm = src && configMaps[vols[src.name].configMap.name];
      const cmd = (installer.command || []).concat(installer.args || []).join(' ');
      if (!cm || !cm.data || cm.data[key] === undefined)
        errs.push(`init container ${installer.name}: no ConfigMap of these manifests with ${key} mounted`);
      else {
        if (!cmd.includes(`${src.mountPath}/${key}`) || !cmd.includes(`${dst.mountPath}/${key}`))
          errs.push(`init container ${installer.name} must copy ${src.mountPath}/${key} to ${dst.mountPath}/${key}`);
        errs.push(...seccompErrors(cm.data[key], `ConfigMap/${cm.metadata.name} ${key}`));
      }
      const isc = installer.securityContext || {};
      if (isc.privileged || ((isc.capabilities || {}).add || []).length ||
          JSON.stringify((isc.capabilities || {}).drop) !== JSON.stringify(['ALL']))
        errs.push(`init container ${installer.name}: no capabilities (drop [ALL], add none)`);
    }
  }
  if (!(spec.tolerations || []).some((t) => t.operator === 'Exists' && !t.key))
    errs.push('a toleration of every taint (operator: Exists) so it runs on every node');
  if (!spec.priorityClassName) errs.push('a priorityClassName');
  if (!c.resources || !c.resources.requests || !c.resources.limits) errs.push('resources requests and limits');
  if (spec.automountServiceAccountToken !== false) errs.push('no service account token: no API rights used');
  return errs;
}

// Every object of @files (manifests and kustomizations, as above), checked
// against the schema; @say gets one line per object or problem, true for a problem.
function loadManifests(files, say) {
  const objects = [];
  const loaded = new Set();
  const complain = (msg) => say(msg, true);

  function check(doc, where) {
    const group = groups[doc.apiVersion];
    const Model = group && group[doc.kind];
    if (!Model) return complain(`${where}: unknown apiVersion/kind ${doc.apiVersion}/${doc.kind}`);
    try {
      new Model(doc).validate();
      say(`${where}: ok`, false);
      objects.push(doc);
    } catch (e) {
      complain(`${where}: ${e.message}`);
    }
  }

  // The parts of a Kustomization this checker understands; anything else
  // would make `kubectl apply -k` apply something it did not check.
  function kustomization(doc, file) {
    const dir = path.dirname(file);
    const known = ['apiVersion', 'kind', 'resources', 'configMapGenerator', 'images'];
    const extra = Object.keys(doc).filter((k) => !known.includes(k));
    if (extra.length) complain(`${file}: ${extra} not understood by this validator`);
    for (const r of doc.resources || []) {
      const f = path.join(dir, r);
      if (!fs.existsSync(f) || !fs.statSync(f).isFile()) complain(`${file}: resource ${r}: no such file`);
      else load(f);
    }
    for (const g of doc.configMapGenerator || []) {
      const data = {};
      for (const spec of g.files || []) {
        const [key, src] = spec.includes('=') ? spec.split('=', 2) : [path.basename(spec), spec];
        const f = path.join(dir, src);
        if (!path.resolve(f).startsWith(path.resolve(dir) + path.sep))
          complain(`${file}: configMapGenerator ${g.name}: ${src} is outside the kustomization`);
        else if (!fs.existsSync(f)) complain(`${file}: configMapGenerator ${g.name}: ${src}: no such file`);
        else data[key] = fs.readFileSync(f, 'utf8');
      }
      for (const l of g.literals || []) data[l.split('=')[0]] = l.slice(l.indexOf('=') + 1);
      const meta = { name: g.name, namespace: g.namespace, labels: (g.options || {}).labels };
      check({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data },
        `${file} configMapGenerator ConfigMap/${g.name}`);
    }
    const listed = new Set((doc.resources || []).map((r) => path.resolve(dir, r)));
    for (const f of files)
      if (path.resolve(path.dirname(f)) === path.resolve(dir) && /\.ya?ml$/.test(f) &&
          path.resolve(f) !== path.resolve(file) && !listed.has(path.resolve(f)))
        complain(`${f}: not in ${file}'s resources: kubectl apply -k leaves it out`);
  }

  function load(file) {
    const real = fs.existsSync(file) ? fs.realpathSync(file) : file;
    if (loaded.has(real)) return;
    loaded.add(real);
    let docs;
    try {
      docs = yaml.loadAll(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      return complain(`${file}: not YAML: ${e.message}`);
    }
    docs.filter((d) => d !== null && d !== undefined).forEach((doc, i) => {
      if (doc.kind === 'Kustomization') return kustomization(doc, file);
      check(doc, `${file}[${i}] ${doc.kind}/${doc.metadata && doc.metadata.name}`);
    });
  }

  for (const file of files) load(file);
  return objects;
}

const configMapsOf = (objects) =>
  Object.fromEntries(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o]));

module.exports = { loadManifests, configMapsOf, imageEntrypoint, kubeletSeccompRoot };

if (require.main === module) {
  const argv = process.argv.slice(2);
  let extractDir = null;
  if (argv[0] === '--extract-profiles') {
    extractDir = argv[1];
    argv.splice(0, 2);
  }
  let bad = 0;
  const say = (msg, problem) => {
    console.log(msg);
    bad += problem;
  };
  const objects = loadManifests(argv, say);
  const configMaps = configMapsOf(objects);
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  for (const ds of objects.filter((o) => o.kind === 'DaemonSet')) {
    for (const e of invariants(ds, configMaps, policies)) say(`DaemonSet/${ds.metadata.name}: ${e}`, true);
    if (extractDir) {
      const c = ds.spec.template.spec.containers.find((x) => x.name === 'fnguard');
      const a = c && (c.args || []).find((x) => x.startsWith('--profiles='));
      const m = a && c.volumeMounts.find((x) => x.mountPath === a.slice(11));
      const v = m && ds.spec.template.spec.volumes.find((x) => x.name === m.name);
      const cm = v && v.configMap && configMaps[v.configMap.name];
      for (const [k, val] of Object.entries((cm && cm.data) || {})) fs.writeFileSync(`${extractDir}/${k}`, val);
    }
  }
  process.exit(bad ? 1 : 0);
}
