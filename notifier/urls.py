from django.urls import path

from notifier import push_subscribe, views

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:token>/", views.subscribe_confirm, name="subscribe_confirm"),
    path("subscribe/push/", push_subscribe.subscribe_push, name="subscribe_push"),
    path("push-worker.js", push_subscribe.push_worker, name="push_worker"),
    path("subscription/<str:token>/", views.manage_subscription, name="manage_subscription"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "webhooks/unsubscribe/<str:token>/", views.webhook_unsubscribe, name="webhook_unsubscribe"
    ),
]
