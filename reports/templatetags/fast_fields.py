"""``{{ field|bootstrap_field }}``: crispy-forms' Bootstrap 5 field markup, built in Python.

The case list renders two forms (23 fields) on every page load. Through crispy's
``as_crispy_field`` each field is a template render (field.html and three includes), about 3 ms
a field, which made the form most of the list's time at 1,000,000 complaints (issue 13). This
filter produces the same elements, attributes and classes as crispy-bootstrap5's ``field.html``
(with ``as_crispy_field``'s defaults: labels and errors shown, errors as a block, help text
after them) for the widgets the hot pages use: selects, text-like inputs, textareas and single
checkboxes. Every other widget (files, radio buttons, multiple checkboxes, multi-widgets, hidden
inputs) and any form with a crispy ``helper`` is handed to crispy itself.
``tests/reports/templatetags/test_fast_fields.py`` compares both renderings field by field.
"""

from __future__ import annotations

from django import forms, template
from django.forms import BoundField
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

#: Widgets crispy renders through templates of their own (kept with crispy).
_DELEGATED = (forms.FileInput, forms.RadioSelect, forms.CheckboxSelectMultiple,
              forms.MultiWidget)


def _crispy(field: BoundField) -> SafeString:
    from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

    return mark_safe(as_crispy_field(field))  # noqa: S308  # crispy's own escaped output


def _widget_class(widget: forms.Widget, extra: str) -> str:
    """The ``class`` crispy gives the widget: its own classes plus the widget's class name in
    lower case (``CRISPY_CLASS_CONVERTERS`` is not used here), then ``extra``'s words."""
    name = type(widget).__name__.lower()
    own = widget.attrs.get("class", "")
    classes = own if own and name in own else f"{own} {name}" if own else name
    words = classes.split()
    words += [word for word in extra.split() if word not in words]
    return " ".join(words)


def _label_text(field: BoundField) -> SafeString:
    asterisk = mark_safe('<span class="asteriskField">*</span>') if field.field.required else ""
    return format_html("{}{}", field.label, asterisk)


def _feedback(field: BoundField) -> SafeString:
    """Errors as a block (``field_errors_block.html``), then the help text (``help_text.html``)."""
    parts: list[str] = []
    if field.errors:
        field_id = getattr(field.errors, "field_id", None) or ""
        parts.append(format_html('<div id="{}_error" class="invalid-feedback">', field_id))
        parts.extend(format_html('<p id="error_{}_{}"><strong>{}</strong></p>', number,
                                 field.auto_id or "", error)
                     for number, error in enumerate(field.errors, start=1))
        parts.append("</div>")
    if field.help_text:
        help_id = format_html('id="{}_helptext" ', field.auto_id) if field.auto_id else ""
        parts.append(format_html('<div {}class="form-text">{}</div>', help_id,
                                 mark_safe(field.help_text)))  # noqa: S308  # as crispy: |safe
    return mark_safe("".join(parts))  # noqa: S308  # every part is escaped above


@register.filter(name="bootstrap_field")
def bootstrap_field(field: BoundField) -> SafeString:
    """``field`` as crispy-bootstrap5's ``as_crispy_field`` renders it (see the module
    docstring), escaped. Other widgets and forms with a crispy helper go through crispy."""
    widget = field.field.widget
    if (field.is_hidden or isinstance(widget, _DELEGATED)
            or getattr(field.form, "helper", None) is not None):
        return _crispy(field)
    invalid = " is-invalid" if field.errors else ""
    required = " requiredField" if field.field.required else ""
    css = field.css_classes()
    label_for = format_html(' for="{}"', field.id_for_label) if field.id_for_label else ""
    if isinstance(widget, forms.CheckboxInput):
        control = field.as_widget(attrs={"class": _widget_class(
            widget, f"form-check-input{invalid}")})
        return format_html(
            '<div class="mb-3"><div id="div_{}" class="form-check{}">{}'
            '<label{} class="form-check-label{}">{}</label>{}</div></div>',
            field.auto_id, f" {css}" if css else "", control, label_for,
            required, _label_text(field), _feedback(field))
    kind = "form-select" if isinstance(widget, forms.Select) else "form-control"
    control = field.as_widget(attrs={"class": _widget_class(widget, f"{kind}{invalid}")})
    label = (format_html('<label{} class="form-label{}">{}</label>', label_for,
                         required, _label_text(field)) if field.label else "")
    return format_html('<div id="div_{}" class="mb-3{}">{}{}{}</div>', field.auto_id,
                       f" {css}" if css else "", label, control,
                       _feedback(field))
