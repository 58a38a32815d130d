"""The coordinators' screen for the reply templates (``/backoffice/antwoordsjablonen/``): list,
create, edit and deactivate; the permission is ``reports.manage_reply_templates``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from reports.forms_reply_templates import ReplyTemplateForm
from reports.models import ReplyTemplate
from reports.selectors.reply_templates import all_reply_templates
from reports.services import reply_templates as template_services
from reports.types import AuthenticatedHttpRequest


@login_required
@permission_required(template_services.MANAGE_REPLY_TEMPLATES, raise_exception=True)
@require_GET
def reply_template_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every template, active or not, with a link to edit it and one to add a template."""
    return render(request, "backoffice/reply_templates.html",
                  {"templates": all_reply_templates().select_related("updated_by")})


@login_required
@permission_required(template_services.MANAGE_REPLY_TEMPLATES, raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def reply_template_edit(request: AuthenticatedHttpRequest,
                        template_id: int | None = None) -> HttpResponse:
    """A new template (no ``template_id``) or an existing one: GET shows the form, POST saves
    it (400 with the errors next to the fields when refused)."""
    template = (get_object_or_404(ReplyTemplate, pk=template_id)
                if template_id is not None else None)
    if request.method != "POST":
        form = (ReplyTemplateForm.for_template(template) if template is not None
                else ReplyTemplateForm())
        return render(request, "backoffice/reply_template_form.html",
                      {"form": form, "template": template})
    form = ReplyTemplateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            template_services.save_reply_template(
                actor=request.user, template=template, kind=data["kind"],
                language=data["language"], title=data["title"], body=data["body"],
                is_active=data["is_active"])
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                for message in field_errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("The template was saved."))
            return redirect("backoffice:reply_templates")
    return render(request, "backoffice/reply_template_form.html",
                  {"form": form, "template": template}, status=400)
