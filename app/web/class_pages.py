"""The class pages: opening a class, the lecturer's class view and a student's page inside a class."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.web.class_models import MAX_NAME
from app.web.classes import RoomDep
from app.web.deps import TemplatesDep
from app.web.pages import page_context

router = APIRouter()


@router.get("/class", response_class=HTMLResponse, include_in_schema=False)
def open_class(request: Request, templates: TemplatesDep) -> HTMLResponse:
    """The form that opens a class: the settings students start from and those they may change."""
    return templates.TemplateResponse(request, "class_open.html", page_context(request))


@router.get("/class/{code}", response_class=HTMLResponse, include_in_schema=False)
def class_view(room: RoomDep, request: Request, templates: TemplatesDep) -> HTMLResponse:
    """Every run of the class on one chart, its table, and how to join: the lecturer's projected view (404 for
    a code no class has)."""
    return templates.TemplateResponse(request, "class.html", {"code": room.code})


@router.get("/join/{code}", response_class=HTMLResponse, include_in_schema=False)
def join(room: RoomDep, request: Request, templates: TemplatesDep) -> HTMLResponse:
    """The run page inside a class: Start runs the student's own run in it, the class's curves beside."""
    context = {**page_context(request), "class_code": room.code, "max_student_name": MAX_NAME}
    return templates.TemplateResponse(request, "join.html", context)
