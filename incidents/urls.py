from django.urls import include, path, re_path

from incidents import badges, calendar, feeds, views
from incidents.api.public import api_id_redirect
from incidents.cors import open_to_any_origin, public_read
from incidents.page_cache import cached_page

urlpatterns = [
    path("", views.status_page, name="status_page"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("maintenance/<int:pk>/", views.maintenance_detail, name="maintenance_detail"),
    # The API's ids ("i8", "m4"), with or without the slash, as Statuspage clients link them.
    re_path(r"^(?:incidents|maintenance)/(?P<code>[im][0-9]{1,18})/?$", api_id_redirect),
    path("history/", views.history, name="history"),
    path("history/page/<int:number>/", views.history, name="history_page"),
    path("blog/", views.blog_index, name="blog_index"),
    path("blog/page/<int:number>/", views.blog_index, name="blog_index_page"),
    path("blog/category/<slug:slug>/", views.blog_category, name="blog_category"),
    path(
        "blog/category/<slug:slug>/page/<int:number>/",
        views.blog_category,
        name="blog_category_page",
    ),
    path(
        "blog/category/<slug:slug>/feed.atom",
        public_read(cached_page(feeds.CategoryAtomFeed())),
        name="blog_category_atom",
    ),
    path(
        "blog/category/<slug:slug>/feed.rss",
        public_read(cached_page(feeds.CategoryRssFeed())),
        name="blog_category_rss",
    ),
    path(
        "blog/category/<slug:slug>/feed.json",
        public_read(cached_page(feeds.CategoryJsonFeed())),
        name="blog_category_json",
    ),
    path("blog/tag/<slug:slug>/", views.blog_tag, name="blog_tag"),
    path("blog/tag/<slug:slug>/page/<int:number>/", views.blog_tag, name="blog_tag_page"),
    path("blog/<slug:slug>/", views.blog_post, name="blog_post"),
    path("feed.atom", public_read(cached_page(feeds.EverythingAtomFeed())), name="feed_atom"),
    path("feed.rss", public_read(cached_page(feeds.EverythingRssFeed())), name="feed_rss"),
    path("feed.json", public_read(cached_page(feeds.EverythingJsonFeed())), name="feed_json"),
    path("components/<int:pk>/", views.component_detail, name="component_detail"),
    path(
        "components/<int:pk>/feed.atom",
        public_read(cached_page(feeds.ComponentAtomFeed())),
        name="component_atom",
    ),
    path(
        "components/<int:pk>/feed.rss",
        public_read(cached_page(feeds.ComponentRssFeed())),
        name="component_rss",
    ),
    path(
        "components/<int:pk>/feed.json",
        public_read(cached_page(feeds.ComponentJsonFeed())),
        name="component_json",
    ),
    path("maintenance.ics", public_read(calendar.maintenance_ics), name="maintenance_ics"),
    path("badge.svg", open_to_any_origin(badges.overall_badge), name="badge"),
    path(
        "components/<int:pk>/badge.svg",
        open_to_any_origin(badges.component_badge),
        name="component_badge",
    ),
    path("widget/", badges.widget, name="widget"),
    path("", include("incidents.api.urls")),
]
