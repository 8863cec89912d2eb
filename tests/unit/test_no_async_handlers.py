"""No route handler runs on the event loop: each is a plain def, so FastAPI runs it (and the database
work and parsing it does) on a worker thread, and one slow request cannot stall /healthz or the others.
Forms are read on the loop by async dependencies (web/render.py: FormDep, PostedForm)."""
import importlib
import inspect
import pkgutil

from fastapi import APIRouter
from fastapi.routing import APIRoute

import control


def test_every_route_handler_is_a_plain_def():
    routes = []
    for info in pkgutil.walk_packages(control.__path__, "control."):
        if ".alembic" in info.name:
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, APIRouter):
                routes += [r for r in value.routes if isinstance(r, APIRoute)]
    assert len(routes) > 50
    coroutines = {f"{r.endpoint.__module__}.{r.endpoint.__name__}" for r in routes
                  if inspect.iscoroutinefunction(r.endpoint)}
    assert coroutines == set()
