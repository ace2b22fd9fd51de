// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A runc config.json for one container of the DaemonSet, made the way the
// kubelet and containerd make it from the manifests (as far as the agent can
// tell): the container's command and args, capabilities, no_new_privs,
// read-only root, user, namespaces (none shared unless hostPID/hostNetwork/
// hostIPC), the volume mounts, memory and CPU limits, and its seccomp
// profile read from the kubelet's seccomp directory, as the runtime reads a
// Localhost profile when it creates the container.
//   node oci-config.js --manifests KUSTOMIZATION --container NAME --rootfs DIR
//     --host-root DIR --cgroups-path PATH
//     [--arg NAME=VALUE]... [--probes]
// Host paths: a hostPath of type Directory is the real one; any other type
// (DirectoryOrCreate: a path the kubelet would create) is made below
// --host-root, so nothing is created on this machine. ConfigMaps are written
// below --host-root/configmaps. --arg replaces the agent's --NAME=... (a pin
// directory of the test's own). The kubelet's seccomp directory is below
// --host-root too, where the init container's hostPath puts the profile. Capabilities this machine's bounding set
// lacks are left out, with a line on stderr. --probes prints the exec
// command of each probe instead, one per line, its words separated by tabs.
'use strict';
const fs = require('fs');
const path = require('path');
const { loadManifests, configMapsOf, imageEntrypoint, kubeletSeccompRoot } = require('./validate.js');

const opt = { arg: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i].replace(/^--/, '');
  if (k === 'probes') opt.probes = true;
  else if (k === 'arg') opt.arg.push(argv[++i]);
  else opt[k.replace(/-(.)/g, (_, ch) => ch.toUpperCase())] = argv[++i];
}
const die = (msg) => {
  console.error(`oci-config.js: ${msg}`);
  process.exit(1);
};
for (const k of ['manifests', 'container'])
  if (!opt[k]) die(`--${k} is required`);

let problems = 0;
const objects = loadManifests([opt.manifests], (msg, problem) => {
  if (problem) console.error(msg);
  problems += problem;
});
if (problems) die('the manifests do not validate');
const ds = objects.find((o) => o.kind === 'DaemonSet');
const pod = ds.spec.template.spec;
const c = (pod.initContainers || []).concat(pod.containers).find((x) => x.name === opt.container);
if (!c) die(`no container ${opt.container}`);

if (opt.probes) {
  const seen = new Set();
  for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe])
    if (p && p.exec) seen.add(p.exec.command.join('\t'));
  for (const s of seen) console.log(s);
  process.exit(0);
}
for (const k of ['rootfs', 'hostRoot', 'cgroupsPath'])
  if (!opt[k]) die(`--${k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)} is required`);

const sc = c.securityContext || {};
const configMaps = configMapsOf(objects);

// Command line: the image's entrypoint unless the container names one.
let args = (c.command || [imageEntrypoint]).concat(c.args || []);
for (const a of opt.arg) {
  const name = a.slice(0, a.indexOf('='));
  const i = args.findIndex((x) => x.startsWith(`--${name}=`));
  if (i < 0) die(`--arg ${a}: the container has no --${name}=`);
  args[i] = `--${a}`;
}

// Capabilities: drop ALL, add the listed ones, within this machine's bounding set.
const capBnd = BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]}`);
const capNum = { NET_ADMIN: 12, SYS_PTRACE: 19, SYS_ADMIN: 21, SYS_RESOURCE: 24, PERFMON: 38, BPF: 39 };
if (JSON.stringify((sc.capabilities || {}).drop) !== JSON.stringify(['ALL'])) die('capabilities.drop is not [ALL]');
const caps = [];
for (const cap of (sc.capabilities || {}).add || []) {
  if (capNum[cap] === undefined) die(`capability ${cap}: add its number to oci-config.js`);
  if (capBnd & (1n << BigInt(capNum[cap]))) caps.push(`CAP_${cap}`);
  else console.error(`# CAP_${cap} is not in this machine's bounding set: left out`);
}

// The runtime's own mounts and masks (containerd's defaults).
const mounts = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
];
const vols = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
const size = (q) => {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(q));
  if (!m) die(`quantity ${q}: not understood`);
  return Number(m[1]) * ({ Ki: 1024, Mi: 1 << 20, Gi: 1 << 30 }[m[2]] || 1);
};
for (const m of c.volumeMounts || []) {
  const v = vols[m.name];
  const ro = m.readOnly ? ['ro'] : ['rw'];
  if (v.hostPath) {
    let src = v.hostPath.path;
    if (v.hostPath.type !== 'Directory') {
      src = path.join(opt.hostRoot, src);
      fs.mkdirSync(src, { recursive: true });
    } else if (!fs.statSync(src).isDirectory()) die(`hostPath ${src}: not a directory`);
    mounts.push({ destination: m.mountPath, type: 'bind', source: src, options: ['rbind', 'rprivate', ...ro] });
  } else if (v.configMap) {
    const cm = configMaps[v.configMap.name];
    if (!cm) die(`ConfigMap ${v.configMap.name}: not in the manifests`);
    const dir = path.join(opt.hostRoot, 'configmaps', cm.metadata.name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [k, val] of Object.entries(cm.data || {})) fs.writeFileSync(path.join(dir, k), val);
    mounts.push({ destination: m.mountPath, type: 'bind', source: dir, options: ['rbind', 'rprivate', 'ro'] });
  } else if (v.emptyDir) {
    const o = ['nosuid', 'nodev', 'mode=1777'];
    if (v.emptyDir.sizeLimit) o.push(`size=${size(v.emptyDir.sizeLimit)}`);
    mounts.push({ destination: m.mountPath, type: 'tmpfs', source: 'tmpfs', options: o.concat(ro) });
  } else die(`volume ${m.name}: a kind this script does not mount`);
}

const unifiedOnly = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
  .some((l) => / \/sys\/fs\/cgroup .* - cgroup2 /.test(l));
const namespaces = [{ type: 'mount' }, { type: 'uts' }];
if (!pod.hostPID) namespaces.push({ type: 'pid' });
if (!pod.hostNetwork) namespaces.push({ type: 'network' });
if (!pod.hostIPC) namespaces.push({ type: 'ipc' });
if (unifiedOnly) namespaces.push({ type: 'cgroup' }); // as containerd does on cgroup v2

const linux = {
  cgroupsPath: opt.cgroupsPath,
  namespaces,
  resources: { devices: [{ allow: false, access: 'rwm' }] },
  maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
    '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
  readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
};
const limits = (c.resources || {}).limits || {};
if (limits.memory) linux.resources.memory = { limit: size(limits.memory) };
if (limits.cpu) {
  const m = /^(\d+)(m?)$/.exec(String(limits.cpu));
  linux.resources.cpu = { period: 100000, quota: (m[2] ? Number(m[1]) / 1000 : Number(m[1])) * 100000 };
}
const sp = sc.seccompProfile || pod.securityContext && pod.securityContext.seccompProfile || {};
if (sp.type === 'Localhost') {
  const f = path.join(opt.hostRoot, kubeletSeccompRoot, sp.localhostProfile);
  if (!fs.existsSync(f)) die(`seccomp profile ${f}: missing (the runtime refuses to create the container)`);
  linux.seccomp = JSON.parse(fs.readFileSync(f, 'utf8'));
} else if (sp.type === 'RuntimeDefault') {
  console.error('# seccomp RuntimeDefault: the runtime\'s own profile is not emulated here');
}

const env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
for (const e of c.env || []) env.push(`${e.name}=${e.value !== undefined ? e.value : 'fnguard-test-node'}`);

process.stdout.write(`${JSON.stringify({
  ociVersion: '1.0.2-dev',
  process: {
    terminal: false,
    user: { uid: sc.runAsUser || 0, gid: sc.runAsGroup || 0 },
    args,
    env,
    cwd: '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    noNewPrivileges: sc.allowPrivilegeEscalation === false,
  },
  root: { path: opt.rootfs, readonly: !!sc.readOnlyRootFilesystem },
  hostname: 'fnguard-test',
  mounts,
  linux,
}, null, 1)}\n`);
