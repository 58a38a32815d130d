"""``bootstrap_field`` gives crispy-bootstrap5's markup for every field of the hot pages' forms
(issue 13): same elements, attributes, classes and text, whitespace aside."""

from __future__ import annotations

import re

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.http import QueryDict

from reports.filters import ComplaintFilter
from reports.forms_incidents import BulkActionForm
from reports.models import Complaint, Incident, Team
from reports.templatetags.fast_fields import bootstrap_field
from reports.widgets import FastSelect


def same(html: str) -> str:
    """HTML with insignificant whitespace (between tags, around text) collapsed."""
    html = re.sub(r"\s+", " ", str(html))
    return re.sub(r"\s*(<|>)\s*", r"\1", html).strip()


class Everything(forms.Form):
    text = forms.CharField(label="Naam <b>", help_text="Hulp & <i>tekst</i>")
    number = forms.IntegerField(label="Getal", required=False)
    day = forms.DateField(label="Dag", required=False, widget=forms.DateInput(
        attrs={"type": "date", "class": "extra"}))
    body = forms.CharField(label="Tekst", widget=forms.Textarea, required=False)
    choice = forms.ChoiceField(label="Keuze", choices=[("", "—"), ("a", "A & B")])
    fast = forms.ChoiceField(label="Snel", choices=[("a", "A")], widget=FastSelect,
                             required=False, help_text="Kies")
    many = forms.MultipleChoiceField(label="Meer", choices=[("a", "A"), ("b", "B")],
                                     required=False)
    agree = forms.BooleanField(label="Akkoord", help_text="Verplicht")
    optional = forms.BooleanField(label="Misschien", required=False)
    files = forms.FileField(label="Bestand", required=False)
    radio = forms.ChoiceField(label="Radio", choices=[("a", "A")], widget=forms.RadioSelect,
                              required=False)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)
    unlabelled = forms.CharField(label="", required=False)

    def clean_choice(self) -> str:
        raise forms.ValidationError(["Eerste <fout>", "Tweede fout"])


def assert_same_for_every_field(form: forms.Form) -> int:
    for field in form:
        assert same(bootstrap_field(field)) == same(as_crispy_field(field)), field.name
    return len(list(form))


def test_every_widget_kind_unbound():
    assert assert_same_for_every_field(Everything()) == 13


def test_every_widget_kind_with_errors_and_values():
    form = Everything(QueryDict("text=&number=x&day=nope&choice=a&many=a&many=zz&radio=q"))
    assert not form.is_valid()
    assert set(form.errors) == {"text", "number", "day", "choice", "many", "agree", "radio"}
    assert assert_same_for_every_field(form) == 13
    html = str(bootstrap_field(form["choice"]))
    assert 'class="select form-select is-invalid"' in html
    assert "<p id=\"error_1_id_choice\"><strong>Eerste &lt;fout&gt;</strong></p>" in html
    assert 'aria-invalid="true"' in html


@pytest.mark.django_db
def test_the_case_lists_forms(rf, coordinator):
    request = rf.get("/")
    request.user = coordinator
    Team.objects.create(name="Team <A>", group=coordinator.groups.first(),
                        desk=coordinator.desks.first())
    for data in (None, QueryDict("status=in_progress&received_after=2020-13-01&overdue=x"
                                 "&closed=1&q=%3Cscript%3E")):
        filterset = ComplaintFilter(data, queryset=Complaint.objects.all(), request=request)
        if data is not None:
            assert not filterset.is_valid()
        assert assert_same_for_every_field(filterset.form) == 14
    teams = Team.objects.all()
    for data in (None, QueryDict("action=status&to_status=closed")):
        bulk = BulkActionForm(data, users=coordinator.__class__.objects.all(), teams=teams,
                              incidents=Incident.objects.none())
        if data is not None:
            assert not bulk.is_valid()
        assert assert_same_for_every_field(bulk) == 9
