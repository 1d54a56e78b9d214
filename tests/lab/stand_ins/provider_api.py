#!/usr/bin/python3
"""Stand-in of a provider BILLmanager's API for the billmgr.ops lab, over the host's own database.

Listens on the address and port of lab/provider_api.json until SIGTERM. Answers as the platform's
API does with out=json (the forms assumed in plugins/module_utils/_platform/providerapi.py):
- func=auth with username and password: a session id, or an auth error;
- any other func with a known auth: the account's items as doc.elem, fields as {"$": value},
  status as {"$orig": number, "$": name}. Parameters come in the query string or a POST body.
Every request goes to var/provider_api.log without its password or session id.
"""

import json
import os
import secrets
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), 'lib', 'lab'))

import labhost  # noqa: E402

STATUS_NAMES = {1: 'Ordered', 2: 'Active', 3: 'Suspended', 4: 'Deleted', 5: 'Processing'}
MAX_BODY = 65536


def doc(body):
    return {'doc': dict(body, **{'$lang': 'en'})}


def error(kind, message):
    return doc({'error': {'$type': kind, '$object': '', 'msg': {'$': message}}})


class Api:
    def __init__(self, host, state):
        self.host = host
        self.users = state.get('users') or {}
        self.sessions = {}

    def answer(self, params):
        func = params.get('func', '')
        if func == 'auth':
            user = self.users.get(params.get('username', ''))
            if user is None or not secrets.compare_digest(user['password'], params.get('password', '')):
                return 'auth refused', error('auth', 'Invalid username or password')
            session = secrets.token_hex(12)
            self.sessions[session] = user['account']
            return 'auth ok', doc({'auth': {'$id': session, '$': session, '$level': '16'}})
        account = self.sessions.get(params.get('auth', ''))
        if account is None:
            return '%s unauthorized' % func, error('auth', 'Unauthorized')
        if not func:
            return 'no func', error('missed', 'func')
        rows = self.host.sql('SELECT id, status, IFNULL(expiredate, \'\') FROM item WHERE account = %d ORDER BY id'
                             % int(account))
        elems = [{'id': {'$': item}, 'status': {'$orig': status, '$': STATUS_NAMES.get(int(status), status)},
                  'expiredate': {'$': expires}} for item, status, expires in rows]
        return '%s %d items' % (func, len(elems)), doc({'elem': elems})


def handler_for(api):
    class Handler(BaseHTTPRequestHandler):
        def _params(self):
            parts = urlsplit(self.path)
            params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            length = min(int(self.headers.get('Content-Length') or 0), MAX_BODY)
            if length:
                body = self.rfile.read(length).decode('utf-8', 'replace')
                params.update({key: values[-1] for key, values in parse_qs(body).items()})
            return parts.path, params

        def _serve(self):
            path, params = self._params()
            if path.rstrip('/') != '/billmgr':
                what, body, code = 'not found %s' % path, error('missed', 'path'), 404
            else:
                try:
                    (what, body), code = api.answer(params), 200
                except labhost.DbError as exc:
                    what, body, code = 'database failed', error('mysql', str(exc)), 200
            data = json.dumps(body).encode('utf-8')
            self.send_response(code)
            self.send_header('Content-Type', 'application/json' if params.get('out') == 'json' else 'text/xml')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            api.host.log('provider_api', 'ihttpd', 'INFO', '%s %s: %s' % (self.command, self.client_address[0], what))

        do_GET = do_POST = _serve

        def log_message(self, *_args):
            pass

    return Handler


def main(_argv):
    host = labhost.Host.from_script(__file__)
    state = host.state('provider_api')
    server = ThreadingHTTPServer((state['address'], int(state['port'])), handler_for(Api(host, state)))
    host.write_pid('provider_api', os.getpid())
    server.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
