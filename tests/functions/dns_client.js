// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// dns_client.py's resolve and connect commands, in Node.js: names through
// dns.lookup (glibc's getaddrinfo on libuv's thread pool), one answer line
// per command line on stdin.
'use strict';
const dns = require('dns');
const net = require('net');
const readline = require('readline');

function run(cmd) {
  return new Promise((done) => {
    if (cmd[0] === 'resolve') {
      dns.lookup(cmd[1], { all: true }, (err, res) => {
        if (err) return done('gaierror ' + err.code);
        done('ok ' + [...new Set(res.map((r) => r.address))].sort().join(','));
      });
    } else if (cmd[0] === 'connect') {
      const s = net.connect({ host: cmd[1], port: Number(cmd[2]) });
      s.setTimeout(2000, () => { s.destroy(); done('110'); });
      s.on('connect', () => { s.destroy(); done('0'); });
      s.on('error', (e) => {
        if (e.code === 'ECONNREFUSED') return done('0');
        const n = typeof e.errno === 'number' ? Math.abs(e.errno)
                                              : require('os').constants.errno[e.code];
        done(String(n || 999));
      });
    } else {
      done('unknown');
    }
  });
}

const rl = readline.createInterface({ input: process.stdin });
let chain = Promise.resolve();
rl.on('line', (line) => {
  chain = chain.then(() => run(line.trim().split(/\s+/))).then((out) => {
    process.stdout.write(out + '\n');
  });
});
