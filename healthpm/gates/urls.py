from django.urls import path

from . import views

app_name = "gates"
urlpatterns = [
    path("<slug:key>/", views.gate_detail, name="detail"),
    path("<slug:key>/evidence/", views.evidence_create, name="evidence_add"),
    path("<slug:key>/evidence/<int:evidence_id>/download/", views.evidence_download, name="evidence_download"),
    path("<slug:key>/tables/<slug:table>.xlsx", views.table_xlsx, name="table_xlsx"),
    path("<slug:key>/tables/<slug:table>/template.xlsx", views.table_template, name="table_template"),
    path("<slug:key>/tables/<slug:table>/rows/", views.table_row_save, name="table_row_save"),
    path("<slug:key>/tables/<slug:table>/rows/remove/", views.table_row_remove, name="table_row_remove"),
    path("<slug:key>/tables/<slug:table>/rows/check/", views.table_row_check, name="table_row_check"),
    path("<slug:key>/tables/<slug:table>/import/", views.table_import, name="table_import"),
    path("<slug:key>/tables/<slug:table>/import/<int:pending_id>/", views.table_import_preview,
         name="table_import_preview"),
    path("<slug:key>/submit/", views.gate_submit_view, name="submit"),
    path("<slug:key>/withdraw/", views.gate_withdraw_view, name="withdraw"),
    path("<slug:key>/decide/", views.gate_decide_view, name="decide"),
    path("<slug:key>/preview/", views.gate_preview, name="preview"),
    path("<slug:key>/exception/", views.gate_exception_view, name="exception"),
]
