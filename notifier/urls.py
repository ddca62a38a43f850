from django.urls import path

from notifier import chat_views, views

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/chat/", chat_views.subscribe_chat, name="subscribe_chat"),
    path("subscribe/confirm/<str:token>/", views.subscribe_confirm, name="subscribe_confirm"),
    path("subscription/<str:token>/", views.manage_subscription, name="manage_subscription"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "webhooks/unsubscribe/<str:token>/", views.webhook_unsubscribe, name="webhook_unsubscribe"
    ),
]
