"""gunicorn's settings for ParentLink: `gunicorn -c /etc/parentlink/gunicorn.conf.py
parentlink.wsgi:app` (deploy/systemd/parentlink-web.service). Command-line flags win."""

import os

bind = "127.0.0.1:8000"  # nginx is the only client (deploy/nginx/parentlink.conf)
workers = 2  # about one per core; more hosts scale out behind the same PostgreSQL
preload_app = True  # a wrong setting or a missing schema stops gunicorn in one line
timeout = 30  # above PARENTLINK_DB_STATEMENT_TIMEOUT (20 s): the app answers 503 first
graceful_timeout = 20
accesslog = "-"  # to stdout: the journal
errorlog = "-"
# No Referer, no user agent; ParentLink's log filter writes personal links as [token].
access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms'
# gunicornc's control socket, in the directory systemd makes for the service
# (RuntimeDirectory=parentlink: /run/parentlink, given as $RUNTIME_DIRECTORY). gunicorn's own
# default, ~/.gunicorn, cannot be written under the unit's ProtectHome.
if os.environ.get("RUNTIME_DIRECTORY"):
    control_socket = os.path.join(os.environ["RUNTIME_DIRECTORY"], "gunicorn.ctl")
