"""Co-construction console URLs, mounted at /console/cobuild/."""

from django.urls import path

from linli.cobuild import views

app_name = "cobuild"
urlpatterns = [
    path("", views.index, name="index"),
    path("subdistricts/<id:subdistrict_id>/", views.calendar, name="calendar"),
    path("subdistricts/<id:subdistrict_id>/plan/", views.plan, name="plan"),
    path("subdistricts/<id:subdistrict_id>/policy/", views.set_policy, name="policy"),
    path("subdistricts/<id:subdistrict_id>/units/", views.add_unit, name="add_unit"),
    path("subdistricts/<id:subdistrict_id>/away/", views.declare_unavailable, name="away"),
    path("subdistricts/<id:subdistrict_id>/roster/", views.generate, name="generate"),
    path("subdistricts/<id:subdistrict_id>/swaps/", views.request_swap, name="request_swap"),
    path("days/<id:day_id>/move/", views.move_day, name="move_day"),
    path("days/<id:day_id>/confirm/", views.confirm_day, name="confirm_day"),
    path("days/<id:day_id>/report.xlsx", views.day_report, {"fmt": "xlsx"}, name="day_xlsx"),
    path("days/<id:day_id>/report.pdf", views.day_report, {"fmt": "pdf"}, name="day_pdf"),
    path("swaps/<id:swap_id>/decide/", views.decide_swap, name="decide_swap"),
    path("resources/", views.resource_list, name="resources"),
    path("resources/new/", views.resource_edit, name="resource_new"),
    path("resources/<id:pk>/", views.resource_edit, name="resource_edit"),
    path("resources/<id:pk>/withdraw/", views.resource_withdraw, name="resource_withdraw"),
    path("resources/export.xlsx", views.resource_export, name="resource_export"),
    path("resources/import/", views.resource_import, name="resource_import"),
    path("resources/template.xlsx", views.resource_template, name="resource_template"),
    path("projects/", views.project_list, name="projects"),
    path("projects/new/", views.project_new, name="project_new"),
    path("projects/proposals/", views.project_proposals, name="proposals"),
    path("projects/export.xlsx", views.project_export, name="project_export"),
    path("projects/import/", views.project_import, name="project_import"),
    path("projects/template.xlsx", views.project_template, name="project_template"),
    path("projects/needs-list.xlsx", views.needs_list_export, name="needs_list_export"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
]
