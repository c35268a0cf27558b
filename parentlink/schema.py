"""The schema is made by Alembic migrations; these helpers run them from the app."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import current_app

from parentlink import resource_dir

# Tables in the database that the models do not own.
FOREIGN_TABLES = frozenset({"apscheduler_jobs", "alembic_version"})


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.attributes["flask_app"] = current_app._get_current_object()
    return config


def upgrade(revision: str = "head") -> None:
    command.upgrade(alembic_config(), revision)


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    return not (type_ == "table" and name in FOREIGN_TABLES)
