"""The OpenAPI pages, /docs (Swagger UI) and /redoc (ReDoc), served with their scripts and styles from
this service, so they work without internet and under a CSP that names no other host. The assets come
from the fastapi-offline package (pinned in pyproject.toml); Swagger UI is started from a static file,
not an inline script."""
from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.staticfiles import StaticFiles

from control.web.render import templates

ASSETS_URL = "/docs-assets"
ASSETS = StaticFiles(directory=str(files("fastapi_offline").joinpath("static")))
router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui(request: Request):
    return templates.TemplateResponse(request, "docs/swagger.html", {
        "title": request.app.title, "openapi_url": request.app.openapi_url, "assets": ASSETS_URL})


@router.get("/redoc")
def redoc(request: Request):
    return templates.TemplateResponse(request, "docs/redoc.html", {
        "title": request.app.title, "openapi_url": request.app.openapi_url, "assets": ASSETS_URL})
