"""ASGI entry point for uvicorn and other servers."""

import os

import structlog

from core.jobs import configure_celery
from core.settings import get_settings
from regie.app import create_app
from regie.cores import pin_to_a_free_core

core = pin_to_a_free_core()  # before the app starts its threads (they inherit it)
configure_celery(get_settings())
app = create_app()
if core is not None:
    structlog.get_logger("regie.serve").info("worker pinned", core=core, pid=os.getpid())
