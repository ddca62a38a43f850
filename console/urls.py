from django.urls import path

from console.views import auth, common, dashboard, deliveries, incidents, posts

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
