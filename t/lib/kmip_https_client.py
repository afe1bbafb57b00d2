#!/usr/bin/python3
# KMIP over HTTPS with the standard library's http.client: every request
# of the command line on ONE connection (HTTP/1.1 keep-alive), each body
# written to OUT/N.body, one line per answer on stdout:
#   N STATUS CONTENT-TYPE LENGTH LOCAL-PORT
# The local port is the same on every line when the connection was kept.
#
#   kmip_https_client.py PORT CERT KEY CA OUT PATH:TYPE:FILE ...

import http.client
import os
import ssl
import sys


def main():
    port, cert, key, ca, out = sys.argv[1:6]
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(cert, key)
    conn = http.client.HTTPSConnection('127.0.0.1', int(port), context=ctx,
                                       timeout=30)
    for n, spec in enumerate(sys.argv[6:]):
        path, ctype, name = spec.split(':', 2)
        with open(name, 'rb') as f:
            body = f.read()
        conn.request('POST', path, body=body,
                     headers={'Content-Type': ctype})
        resp = conn.getresponse()
        data = resp.read()
        with open(os.path.join(out, '%d.body' % n), 'wb') as f:
            f.write(data)
        print(n, resp.status, resp.getheader('Content-Type'), len(data),
              conn.sock.getsockname()[1] if conn.sock else 0)
        sys.stdout.flush()
    conn.close()


if __name__ == '__main__':
    main()
