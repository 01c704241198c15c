"""The class pages: the lecturer's class view and a student's page inside a class."""

import re

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse

from app.web.deps import TemplatesDep
from app.web.pages import page_context

router = APIRouter()

# A class code: six characters of an alphabet without the look-alikes I, O, 0 and 1.
CODE = re.compile(r"[A-HJ-NP-Z2-9]{6}")


def checked_code(code: str) -> str:
    """The code as a class has it (upper case), or 404: no class can have another."""
    upper = code.upper()
    if not CODE.fullmatch(upper):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no class has this code")
    return upper


@router.get("/class/{code}", response_class=HTMLResponse, include_in_schema=False)
def class_view(code: str, request: Request, templates: TemplatesDep) -> HTMLResponse:
    """Every run of the class on one chart, its table, and how to join: the lecturer's projected view."""
    return templates.TemplateResponse(request, "class.html", {"code": checked_code(code)})


@router.get("/join/{code}", response_class=HTMLResponse, include_in_schema=False)
def join(code: str, request: Request, templates: TemplatesDep) -> HTMLResponse:
    """The run page inside a class: Start runs the student's own run in it, the class's curves beside."""
    context = {**page_context(request), "class_code": checked_code(code)}
    return templates.TemplateResponse(request, "join.html", context)
