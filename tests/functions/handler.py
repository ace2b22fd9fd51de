# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A FaaS-style HTTP handler for learning tests and the bench: per request it reads
# its config and a secret, writes and deletes a temp file with a random name,
# and calls an upstream service. /attack/* do what it never does otherwise.
# Usage: handler.py APP_DIR PORT UPSTREAM_URL
import http.server, json, os, random, socket, subprocess, sys, urllib.request
app, port, upstream = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def reply(self, body):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())
    def do_GET(self):
        if self.path == '/attack/connect':
            try:
                socket.create_connection(('127.0.0.99', 4444), timeout=2)
                return self.reply('connected')
            except OSError as e:
                return self.reply('error %d' % e.errno)
        if self.path == '/attack/exec':
            return self.reply('status %d' % subprocess.run(['/bin/sh', '-c', 'true']).returncode)
        if self.path == '/attack/read':
            return self.reply(open(app + '/secrets/db-password').read())
        cfg = json.load(open(app + '/config.json'))
        key = open(app + '/secrets/api-key').read()
        tmp = os.path.join(app, 'work', '%032x.tmp' % random.getrandbits(128))
        with open(tmp, 'w') as f:
            f.write(self.path + key)
        size = os.path.getsize(tmp)
        os.unlink(tmp)
        up = urllib.request.urlopen(upstream + '/?q=%d' % random.randint(0, 1 << 30)).read()
        self.reply(json.dumps({'cfg': cfg['name'], 'size': size, 'up': len(up)}))
http.server.ThreadingHTTPServer(('127.0.0.1', port), H).serve_forever()
