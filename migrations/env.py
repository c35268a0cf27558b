"""Alembic environment: runs inside the ParentLink app, on its engine."""

from alembic import context

from parentlink.db import UTCDateTime
from parentlink.extensions import db
from parentlink.schema import include_name

config = context.config
app = config.attributes.get("flask_app")
if app is None:  # plain `alembic` call: build the app from the environment
    from parentlink import create_app

    app = create_app()


def _render_item(type_, obj, autogen_context):
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "UTCDateTime()"
    return False


def run_migrations_online() -> None:
    with app.app_context(), db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            include_name=include_name,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=_render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("ParentLink migrations run online only: parentlink db upgrade")
run_migrations_online()
