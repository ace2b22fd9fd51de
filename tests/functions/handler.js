// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The Node.js twin of handler.py. Usage: node handler.js APP_DIR PORT UPSTREAM_URL
const http = require('http'), fs = require('fs'), net = require('net'),
      crypto = require('crypto'), cp = require('child_process');
const [app, port, upstream] = process.argv.slice(2);
http.createServer((req, res) => {
  if (req.url === '/attack/connect') {
    const s = net.connect(4444, '127.0.0.99');
    s.on('connect', () => { res.end('connected'); s.destroy(); });
    s.on('error', (e) => res.end('error ' + e.code));
    return;
  }
  if (req.url === '/attack/exec') {
    const r = cp.spawnSync('/bin/sh', ['-c', 'true']);
    return res.end('status ' + r.status + ' signal ' + r.signal);
  }
  if (req.url === '/attack/read')
    return res.end(fs.readFileSync(app + '/secrets/db-password'));
  const cfg = JSON.parse(fs.readFileSync(app + '/config.json'));
  const key = fs.readFileSync(app + '/secrets/api-key', 'utf8');
  const tmp = app + '/work/' + crypto.randomBytes(16).toString('hex') + '.tmp';
  fs.writeFileSync(tmp, req.url + key);
  const size = fs.statSync(tmp).size;
  fs.unlinkSync(tmp);
  http.get(upstream + '/?q=' + Math.random(), (u) => {
    let n = 0;
    u.on('data', (d) => n += d.length);
    u.on('end', () => res.end(JSON.stringify({cfg: cfg.name, size, up: n})));
  }).on('error', (e) => { res.statusCode = 502; res.end(String(e)); });
}).listen(+port, '127.0.0.1');
