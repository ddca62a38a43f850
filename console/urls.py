from django.urls import path

from console.views import auth, common, dashboard, deliveries, incidents, posts
from console.views import maintenance as maint
from console.views import message_templates as msg

app_name = "console"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.login, name="login"),
    path("verify/", auth.verify, name="verify"),
    path("logout/", auth.logout, name="logout"),
    path("incidents/", incidents.incident_list, name="incidents"),
    path("incidents/new/", incidents.incident_new, name="incident_new"),
    path("incidents/new/preview/", incidents.incident_new_preview, name="incident_new_preview"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident"),
    path("incidents/<int:pk>/update-form/", incidents.update_form, name="incident_update_form"),
    path("incidents/<int:pk>/update/", incidents.post_update, name="incident_update"),
    path(
        "incidents/<int:pk>/update/preview/",
        incidents.update_preview,
        name="incident_update_preview",
    ),
    path("maintenance/", maint.maintenance_list, name="maintenance_list"),
    path("maintenance/new/", maint.maintenance_new, name="maintenance_new"),
    path("maintenance/new/preview/", maint.maintenance_new_preview, name="maintenance_new_preview"),
    path("maintenance/window/", maint.window_preview, name="maintenance_window_preview"),
    path("maintenance/<int:pk>/", maint.maintenance_detail, name="maintenance"),
    path("maintenance/<int:pk>/<slug:act>/", maint.maintenance_act, name="maintenance_act"),
    path("templates/", msg.template_list, name="message_templates"),
    path("templates/new/", msg.template_new, name="message_template_new"),
    path("templates/fill/", msg.template_fill, name="message_template_fill"),
    path("templates/<int:pk>/", msg.template_edit, name="message_template_edit"),
    path("templates/<int:pk>/delete/", msg.template_delete, name="message_template_delete"),
    path("deliveries/", deliveries.notice_list, name="notices"),
    path("deliveries/<int:pk>/", deliveries.notice_detail, name="notice"),
    path("deliveries/<int:pk>/counts/", deliveries.notice_counts, name="notice_counts"),
    path("deliveries/<int:pk>/retry/", deliveries.retry_failed, name="notice_retry"),
    path("posts/", posts.post_list, name="posts"),
    path("posts/new/", posts.post_new, name="post_new"),
    path("posts/new/preview/", posts.post_preview, name="post_new_preview"),
    path("posts/<int:pk>/", posts.post_edit, name="post"),
    path("posts/<int:pk>/preview/", posts.post_preview, name="post_preview"),
    path("posts/<int:pk>/unpublish/", posts.post_unpublish, name="post_unpublish"),
    path("audit/", common.audit_log, name="audit"),
    path("preview/markdown/", common.markdown_preview, name="markdown_preview"),
]
