"""Form widgets rendered in Python where Django's per-option templates are too slow, and model
choices read with one plain query.

The case list's filter form has a municipality drop-down of some 350 options on every page
load; Django renders each option through a template include, which cost about 100 ms of the page
(issue 13). ``FastSelectMixin`` renders the HTML of Django's ``select.html`` and
``select_option.html`` with string operations instead (the same elements and attributes).
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import Any, cast

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.safestring import SafeString, mark_safe


def _flat(attrs: dict[str, Any]) -> str:
    """HTML attributes as Django's ``attrs.html`` renders them: ``True`` bare, ``False`` and
    ``None`` left out, values escaped."""
    return "".join(f" {key}" if value is True else f' {key}="{escape(str(value))}"'
                   for key, value in attrs.items() if value is not False and value is not None)


class FastSelectMixin:
    """For a single-choice ``forms.Select`` subclass: ``render`` builds the same HTML as
    Django's templates (``name``, attributes, optional ``optgroup``s, options, the first option
    whose value matches selected) with string operations."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> SafeString:
        """The ``<select>`` element for ``name`` with ``value`` selected (escaped)."""
        widget = cast(forms.Select, self)
        values = widget.format_value(value)  # a list; NullBooleanSelect gives one string
        wanted = {values} if isinstance(values, str) else {str(v) for v in values}
        found = False

        def option(option_value: Any, label: Any) -> str:
            nonlocal found
            text = "" if option_value is None else str(option_value)
            selected = not found and text in wanted
            found = found or selected
            return (f'<option value="{escape(text)}"{" selected" if selected else ""}>'
                    f"{escape(str(label))}</option>")

        parts = [f'<select name="{escape(name)}"'
                 f"{_flat(widget.build_attrs(widget.attrs, attrs))}>"]
        for group_value, group_label in widget.choices:
            if isinstance(group_label, (list, tuple)):
                parts.append(f'<optgroup label="{escape(str(group_value))}">')
                parts.extend(option(v, label) for v, label in group_label)
                parts.append("</optgroup>")
            else:
                parts.append(option(group_value, group_label))
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308  # every value above is escaped


class FastSelect(FastSelectMixin, forms.Select):
    """``forms.Select`` rendered in Python (see ``FastSelectMixin``)."""


class ListedChoices(ModelChoiceIterator):
    """A model field's choices read with one plain query and kept on the field's queryset.

    Django's ``ModelChoiceIterator`` reads through ``QuerySet.iterator()``, which on PostgreSQL
    is a server-side cursor (``DECLARE``, ``FETCH``, ``CLOSE``: three round trips) and is read
    again each time the choices are iterated. The choice lists here are short (people, teams,
    mass reports), so a plain query is cheaper (issue 13: the case list's drop-downs on every
    page load)."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """``forms.ModelChoiceField`` reading its choices through ``ListedChoices``.

    A queryset assigned to ``queryset`` is kept as it is, not copied (Django's field copies it):
    two forms on one page that offer the same people or teams share one queryset and read it
    once (the case list's filter and bulk-action forms). Validation still looks a value up with
    a query of its own."""

    iterator = ListedChoices

    def _get_shared_queryset(self) -> Any:
        return self._queryset

    def _set_shared_queryset(self, queryset: Any) -> None:
        self._queryset = queryset
        self.widget.choices = self.choices

    queryset = property(_get_shared_queryset, _set_shared_queryset)
