"""HTTP API of the records service: one router per resource."""

from portfolio_records.adapters.orm import jobs
from portfolio_records.service_layer.grades import GRADE_IMPORT
from portfolio_shared import jobs_api
from portfolio_shared.permissions import Permission

from .basic_data import router as basic_data_router
from .calendar import router as calendar_router
from .contacts import router as contacts_router
from .counselling import router as counselling_router
from .courses import router as courses_router
from .exports import router as exports_router
from .grades import router as grades_router
from .nightly import router as nightly_router
from .reports import router as reports_router
from .retention import router as retention_router
from .students import router as students_router

# GET /api/v1/jobs/{id}: the grade import's job, for whoever started it or may read the school's grades.
jobs_router = jobs_api.jobs_router(jobs, {GRADE_IMPORT: (Permission.GRADES_WRITE, Permission.RECORDS_READ)})

ROUTERS = [
    students_router,
    basic_data_router,
    contacts_router,
    counselling_router,
    courses_router,
    grades_router,
    nightly_router,
    calendar_router,
    reports_router,
    exports_router,
    retention_router,
    jobs_router,
]
