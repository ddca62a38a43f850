from django.urls import path

from notifier import chat_views, push_subscribe, sms_views, telegram_views, views

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/chat/", chat_views.subscribe_chat, name="subscribe_chat"),
    path("subscribe/telegram/", telegram_views.subscribe_telegram, name="subscribe_telegram"),
    path("telegram/webhook/", telegram_views.telegram_webhook, name="telegram_webhook"),
    path("subscribe/confirm/<str:token>/", views.subscribe_confirm, name="subscribe_confirm"),
    path("subscribe/sms/", sms_views.subscribe_sms, name="subscribe_sms"),
    path("sms/inbound/twilio/", sms_views.twilio_inbound, name="sms_inbound_twilio"),
    path("sms/inbound/46elks/<str:secret>/", sms_views.elks_inbound, name="sms_inbound_46elks"),
    path("subscribe/push/", push_subscribe.subscribe_push, name="subscribe_push"),
    path("subscribe/push/renew/", push_subscribe.renew_push, name="renew_push"),
    path("push-worker.js", push_subscribe.push_worker, name="push_worker"),
    path("subscription/<str:token>/", views.manage_subscription, name="manage_subscription"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "webhooks/unsubscribe/<str:token>/", views.webhook_unsubscribe, name="webhook_unsubscribe"
    ),
]
