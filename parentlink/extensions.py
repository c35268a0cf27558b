"""Extension instances, created once and bound to the app in create_app()."""

from flask_login import LoginManager
from flask_mail import Mail
from flask_wtf.csrf import CSRFProtect

from parentlink.db import db

mail = Mail()
csrf = CSRFProtect()
login_manager = LoginManager()

__all__ = ["db", "mail", "csrf", "login_manager"]
