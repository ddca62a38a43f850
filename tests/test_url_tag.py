"""`{% url %}` remembers its answers (statuspage/url_tag.py) and answers as Django's own tag."""

from __future__ import annotations

import pytest
from django.template import Context, Template, engines
from django.test import override_settings
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix
from django.utils import translation

from statuspage.reversing import reversed_url
from statuspage.url_tag import RememberedURLNode

CASES = [
    ("history", [], {}),
    ("component_detail", [3], {}),
    ("component_detail", ["3"], {}),
    ("blog_category", ["maintenance"], {}),
    ("incident_detail", [], {"pk": 7}),
]


def render(text: str, **context: object) -> str:
    return Template("{% load i18n %}" + text).render(Context(context))


def test_the_project_template_engine_uses_the_remembering_tag():
    template = engines["django"].from_string("{% url 'history' %}")
    assert isinstance(template.template.nodelist[0], RememberedURLNode)  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", ["en", "nb"])
@pytest.mark.parametrize(("name", "args", "kwargs"), CASES)
def test_each_answer_is_djangos_in_each_language_asked_twice(language, name, args, kwargs):
    with translation.override(language):
        expected = reverse(name, args=args, kwargs=kwargs)
        assert reversed_url(name, args, kwargs) == expected
        assert reversed_url(name, args, kwargs) == expected
    assert expected.startswith("/nb/") == (language == "nb")


def test_the_tag_gives_each_language_its_own_prefix_after_the_other_was_remembered():
    text = "{% url 'component_detail' pk %}"
    assert render(text, pk=4) == "/components/4/"
    with translation.override("nb"):
        assert render(text, pk=4) == "/nb/components/4/"
    assert render(text, pk=4) == "/components/4/"


def test_a_script_prefix_is_part_of_the_answer():
    assert reversed_url("history") == "/history/"
    set_script_prefix("/status/")
    try:
        assert reversed_url("history") == "/status/history/"
    finally:
        clear_script_prefix()
    assert reversed_url("history") == "/history/"


urlpatterns: list[object] = []


def test_another_urlconf_gets_its_own_answers():
    assert reversed_url("history") == "/history/"  # remembered under the project's URLconf
    with override_settings(ROOT_URLCONF=__name__), pytest.raises(NoReverseMatch):
        reversed_url("history")
    assert reversed_url("history") == "/history/"


def test_as_var_and_a_missing_name_behave_as_djangos_tag():
    assert render("{% url 'history' as where %}[{{ where }}]") == "[/history/]"
    assert render("{% url 'no-such-page' as where %}[{{ where }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-page' %}")


def test_arguments_other_than_numbers_and_strings_are_reversed_each_time():
    class Pk:
        def __str__(self) -> str:
            return "9"

    assert reversed_url("component_detail", [Pk()]) == "/components/9/"


def test_the_answer_is_escaped_where_the_template_escapes():
    # Django leaves "&" unquoted in a path; the page gets it escaped, as from Django's tag.
    text = "{% url 'wordpress_permalink' 2013 1 25 slug %}"
    assert render(text, slug="a&b") == "/2013/1/25/a&amp;b/"
    assert render("{% autoescape off %}" + text + "{% endautoescape %}", slug="a&b") == (
        "/2013/1/25/a&b/"
    )


def test_a_view_given_as_a_callable_is_reversed_as_django_reverses_it():
    from incidents import views

    assert reversed_url(views.history) == reverse(views.history) == "/history/"


def test_a_name_written_in_the_template_is_remembered():
    from statuspage.reversing import _reversed

    render("{% url 'history' %}")
    hits = _reversed.cache_info().hits
    assert render("{% url 'history' %}") == "/history/"
    assert _reversed.cache_info().hits == hits + 1
