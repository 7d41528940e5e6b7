"""Admin screens for question banks: banks, categories and questions, under one 题库 menu.

These are ``ModelViewSet``s, not snippets, on purpose:

* Snippets' headline features (revisions, drafts, locking, workflows) need ``RevisionMixin`` /
  ``DraftStateMixin`` on the model. Questions don't need them: what a paper shows is frozen in
  a ``QuestionVersion`` (exams/versions.py), so editing a question never changes a past paper.
* Registering a model as a snippet turns every ``ForeignKey`` to it in every admin form into a
  modal snippet chooser. A handful of banks and categories read better as a select that
  narrows to the chosen bank (Wagtail's ``FilteredSelect``), here and in exam rules.
* ``ModelViewSet`` gives the same listing, filters, search, history, usage and model
  permissions (Trainers and Reviewers get them from migration 0002), and the regulation field
  still gets the snippet chooser because ``Regulation`` is a snippet.

Register :class:`QuestionBankViewSetGroup` with the ``register_admin_viewset`` hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import django_filters
from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, ProtectedError
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import BooleanRadioSelect, Button

from . import signals
from .drawing import withdrawn
from .forms import (
    FractionInput,
    QuestionBankForm,
    QuestionCategoryForm,
    QuestionForm,
    category_paths,
    descendant_ids,
)
from .models import Difficulty, Question, QuestionBank, QuestionCategory, QuestionType

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# In the question listing: drawing leaves the question out of new papers (exams/drawing.py).
WITHDRAWN = _("Withdrawn (the cited article has been superseded)")

QUESTIONS = "exams_questions"
CATEGORIES = "exams_question_categories"
BANKS = "exams_question_banks"


def questions_url(**filters: int | str) -> str:
    url = reverse(f"{QUESTIONS}:index")
    return f"{url}?{urlencode(filters)}" if filters else url


class ProtectedDeleteView(generic.DeleteView):
    """Refuses, with a message, to delete what exam rules or questions still use.

    The usage check normally stops this earlier; this covers a reference index that is not
    up to date (e.g. rows written by an import), which would otherwise be a server error.
    """

    def delete_contents(self) -> None:
        """Rows to delete first, in the same transaction (none by default)."""

    def delete_action(self):
        self._protected = False
        try:
            with transaction.atomic():
                self.delete_contents()
                super().delete_action()
        except ProtectedError:
            self._protected = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if getattr(self, "_protected", False):
            # super() queued a success message: replace it.
            list(messages.get_messages(self.request))
            messages.error(
                self.request,
                _("“%(object)s” is still used by questions or exam rules, so it was not deleted.")
                % {"object": self.object},
            )
            return redirect(self.get_success_url())
        return response


class QuestionBankDeleteView(ProtectedDeleteView):
    """Deletes a bank with its categories and questions, unless an exam draws from it.

    Questions go first: ``Question.category`` is PROTECT, so the bank's cascade would otherwise
    stop at its own categories. Past papers keep their frozen ``QuestionVersion`` copies.
    """

    def delete_contents(self) -> None:
        self.object.questions.all().delete()

    @property
    def confirmation_message(self):
        return _(
            "Are you sure you want to delete this question bank? Its %(categories)s "
            "categories and %(questions)s questions are deleted with it; papers already "
            "taken keep their copies."
        ) % {
            "categories": self.object.categories.count(),
            "questions": self.object.questions.count(),
        }


# Questions ---------------------------------------------------------------------------------


def grouped_category_choices() -> list[tuple]:
    """Category filter options, grouped by bank: one query for the paths, one for the banks."""
    paths = category_paths()
    groups: dict[str, list[tuple[int, str]]] = {}
    rows = QuestionCategory.objects.values_list("pk", "bank__name").order_by("bank__name")
    for pk, bank_name in rows:
        groups.setdefault(bank_name, []).append((pk, paths[pk]))
    return [(bank, sorted(options, key=lambda o: o[1])) for bank, options in groups.items()]


def case_choices() -> list[tuple]:
    cases = Question.objects.filter(type=QuestionType.CASE).order_by("bank__name", "name")
    return [(pk, name) for pk, name in cases.values_list("pk", "name")]


def tags_in_use(request):
    return Question.tags.all().order_by("name")


class QuestionFilterSet(WagtailFilterSet):
    bank = django_filters.ModelChoiceFilter(
        label=_("Question bank"), queryset=QuestionBank.objects.all(), empty_label=_("All")
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"),
        empty_label=_("All"),
        choices=grouped_category_choices,
        method="filter_category",
        help_text=_("Includes its sub-categories."),
    )
    parent = django_filters.ChoiceFilter(
        label=_("Case"), choices=case_choices, empty_label=_("All")
    )
    type = django_filters.ChoiceFilter(
        label=_("Type"),
        choices=QuestionType.choices,
        widget=forms.RadioSelect,
        empty_label=_("All"),
    )
    difficulty = django_filters.ChoiceFilter(
        label=_("Difficulty"),
        choices=Difficulty.choices,
        widget=forms.RadioSelect,
        empty_label=_("All"),
    )
    active = django_filters.BooleanFilter(label=_("Active"), widget=BooleanRadioSelect)
    tags = django_filters.ModelMultipleChoiceFilter(
        label=_("Tags"),
        field_name="tags",
        # django-filter accepts a callable taking the request; its stubs only a queryset.
        queryset=tags_in_use,  # type: ignore[arg-type]
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Question
        fields = ["bank", "category", "parent", "type", "difficulty", "active", "tags"]

    def filter_category(self, queryset, name, value):
        return queryset.filter(category_id__in=descendant_ids(int(value)))


def titled(column, label):
    # The model's "name" msgid reads 姓名 (a person's name) in Chinese: say what the title is.
    column.label = label
    return column


class QuestionIndexView(generic.IndexView):
    def _get_title_column(self, field_name, *args, **kwargs):
        return titled(super()._get_title_column(field_name, *args, **kwargs), _("Title"))

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        # The import screen (exams/import_views.py) registers its own URL; link to it if present.
        try:
            import_url = reverse("exams_import_questions")
        except NoReverseMatch:
            return buttons
        if self.request.user.has_perm("exams.add_question"):
            buttons.append(Button(_("Import questions"), url=import_url, icon_name="upload"))
        return buttons

    def get_base_queryset(self):
        # Every column reads these: one joined query instead of one per row.
        return super().get_base_queryset().select_related("bank", "category", "regulation")

    def get_table(self, object_list):
        # Evaluates the page once (the queryset caches its rows for the table to reuse).
        rows = list(object_list)
        paths = category_paths({row.bank_id for row in rows})
        pulled = set(
            withdrawn(Question.objects.filter(pk__in=[row.pk for row in rows])).values_list(
                "pk", flat=True
            )
        )
        for row in rows:
            row.category_path = paths.get(row.category_id, "")
            row.draw_status = WITHDRAWN if row.pk in pulled else ""
        return super().get_table(rows)


class QuestionCreateView(generic.CreateView):
    def get_initial(self):
        """Pre-fill from the query string, e.g. "Add sub-question" on a case passes
        ``?parent=…&bank=…&category=…&type=single``. The form still validates everything."""
        initial = super().get_initial()
        for name in ("bank", "category", "parent", "type", "difficulty"):
            if value := self.request.GET.get(name):
                initial[name] = value
        return initial


class QuestionEditView(generic.EditView):
    def save_instance(self):
        question = super().save_instance()
        signals.question_saved.send(sender=Question, question=question, user=self.request.user)
        return question

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        question = self.object
        if question.type == QuestionType.CASE:
            add_url = reverse(f"{QUESTIONS}:add")
            query = urlencode(
                {
                    "parent": question.pk,
                    "bank": question.bank_id,
                    "category": question.category_id,
                    "type": QuestionType.SINGLE,
                }
            )
            buttons += [
                Button(
                    _("Add sub-question"),
                    url=f"{add_url}?{query}",
                    icon_name="plus",
                    priority=5,
                ),
                Button(
                    _("Sub-questions"),
                    url=questions_url(parent=question.pk),
                    icon_name="list-ul",
                    priority=6,
                ),
            ]
        return buttons


CHOICE_HELP = _(
    "Grades follow Moodle: 1 = 100%, 0 = wrong, negative = a penalty. Single choice: exactly "
    "one choice at 1, the others 0 or negative. Multiple choice: the right choices add up to "
    "1 (e.g. 0.5 + 0.5), at least one wrong choice at 0 or negative. True/false: two choices, "
    "1 and 0. A case scenario has no choices: add sub-questions to it instead."
)


class QuestionViewSet(ModelViewSet):
    model = Question
    name = QUESTIONS
    url_prefix = "questions"
    icon = "help"
    menu_label = _("Questions")
    index_view_class = QuestionIndexView
    add_view_class = QuestionCreateView
    edit_view_class = QuestionEditView
    # Copying would need the choices copied too; an editor starts a new question instead.
    copy_view_enabled = False
    list_per_page = 50
    list_display = [
        "name",
        Column("get_type_display", label=_("Type"), sort_key="type"),
        Column("category_path", label=_("Category")),
        Column("get_difficulty_display", label=_("Difficulty"), sort_key="difficulty"),
        BooleanColumn("active", label=_("Active"), sort_key="active"),
        Column("regulation", label=_("Cited regulation")),
        Column("draw_status", label=_("New papers")),
        DateColumn("updated_at", label=_("Updated"), sort_key="updated_at"),
    ]
    filterset_class = QuestionFilterSet
    # Chinese has no spaces between words: a substring match finds 催收 inside a stem.
    search_fields = ["name", "stem", "idnumber"]
    search_backend_name = None
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("bank"),
                    FieldPanel("category"),
                    FieldPanel("parent"),
                    FieldPanel("sort_order"),
                ],
                heading=_("Where it belongs"),
            ),
            FieldPanel("type"),
            FieldPanel("name"),
            FieldPanel("stem"),
            InlinePanel(
                "choices",
                panels=[
                    FieldPanel("text"),
                    FieldPanel("fraction", widget=FractionInput()),
                    FieldPanel("feedback"),
                ],
                label=_("Choice"),
                heading=_("Choices"),
                help_text=CHOICE_HELP,
            ),
            FieldPanel("explanation"),
            MultiFieldPanel(
                [
                    FieldPanel("regulation"),
                    FieldPanel("difficulty"),
                    FieldPanel("default_mark"),
                    FieldPanel("tags"),
                    FieldPanel("active"),
                    FieldPanel("idnumber"),
                ],
                heading=_("Details"),
            ),
        ],
        base_form_class=QuestionForm,
    )


# Categories --------------------------------------------------------------------------------


class QuestionCategoryFilterSet(WagtailFilterSet):
    bank = django_filters.ModelChoiceFilter(
        label=_("Question bank"), queryset=QuestionBank.objects.all(), empty_label=_("All")
    )

    class Meta:
        model = QuestionCategory
        fields = ["bank"]


class QuestionCategoryIndexView(generic.IndexView):
    def _get_title_column(self, field_name, *args, **kwargs):
        # Titled by the full path ("Parent/Child"): names alone repeat across branches.
        column = super()._get_title_column(field_name, *args, accessor="path_label", **kwargs)
        return titled(column, _("Category"))

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("bank")
            .annotate(question_count=Count("questions"))
        )

    def get_table(self, object_list):
        rows = list(object_list)
        paths = category_paths({row.bank_id for row in rows})
        for row in rows:
            row.path_label = paths.get(row.pk, row.name)
        return super().get_table(rows)


class _QuestionCount(TypedDict):
    question_count: int


def category_question_count(category: WithAnnotations[QuestionCategory, _QuestionCount]):
    return format_html(
        '<a href="{}">{}</a>', questions_url(category=category.pk), category.question_count
    )


class QuestionCategoryViewSet(ModelViewSet):
    model = QuestionCategory
    name = CATEGORIES
    url_prefix = "question-categories"
    icon = "folder-inverse"
    menu_label = _("Categories")
    index_view_class = QuestionCategoryIndexView
    delete_view_class = ProtectedDeleteView
    copy_view_enabled = False
    list_per_page = 100
    list_display = [
        "name",
        Column("bank", label=_("Question bank"), sort_key="bank__name"),
        Column(
            "question_count",
            accessor=category_question_count,
            label=_("Questions"),
            sort_key="question_count",
        ),
    ]
    filterset_class = QuestionCategoryFilterSet
    search_fields = ["name", "info", "idnumber"]
    search_backend_name = None
    ordering = ["bank__name", "name"]
    edit_handler = ObjectList(
        [FieldPanel("bank"), FieldPanel("parent"), FieldPanel("name"), FieldPanel("info")],
        base_form_class=QuestionCategoryForm,
    )


# Banks -------------------------------------------------------------------------------------


class QuestionBankIndexView(generic.IndexView):
    def _get_title_column(self, field_name, *args, **kwargs):
        return titled(super()._get_title_column(field_name, *args, **kwargs), _("Name"))

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .annotate(
                question_count=Count("questions", distinct=True),
                category_count=Count("categories", distinct=True),
            )
        )


def bank_question_count(bank: WithAnnotations[QuestionBank, _QuestionCount]):
    return format_html('<a href="{}">{}</a>', questions_url(bank=bank.pk), bank.question_count)


class QuestionBankViewSet(ModelViewSet):
    model = QuestionBank
    name = BANKS
    url_prefix = "question-banks"
    icon = "folder-open-inverse"
    menu_label = _("Banks")
    index_view_class = QuestionBankIndexView
    delete_view_class = QuestionBankDeleteView
    copy_view_enabled = False
    list_display = [
        "name",
        "description",
        Column("category_count", label=_("Categories"), sort_key="category_count"),
        Column(
            "question_count",
            accessor=bank_question_count,
            label=_("Questions"),
            sort_key="question_count",
        ),
    ]
    search_fields = ["name", "description"]
    search_backend_name = None
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("description")], base_form_class=QuestionBankForm
    )


class QuestionBankViewSetGroup(ModelViewSetGroup):
    items = (QuestionViewSet, QuestionCategoryViewSet, QuestionBankViewSet)
    menu_icon = "help"
    menu_label = _("Question banks")
    menu_name = "question-banks"
    menu_order = 250
