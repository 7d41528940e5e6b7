"""Site search and the public pages of the regulation library."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from wagtail.models import Site

from .models import Regulation
from .search import Hit, SiteSearchResults
from .segmentation import MAX_QUERY_LENGTH, clean_query, highlight_terms

RESULTS_PER_PAGE = 10


def search(request: HttpRequest) -> HttpResponse:
    """GET /search/?q=...&page=N: courses, lessons, events and regulations in one list."""
    query, truncated = clean_query(request.GET.get("q", ""))
    context = {"query": query, "truncated": truncated, "max_length": MAX_QUERY_LENGTH}
    if query:
        results = SiteSearchResults(query, Site.find_for_request(request), request)
        # get_page() never fails: a non-number gives the first page, a number too high the last.
        paginator: Paginator[Hit] = Paginator(results, RESULTS_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        context.update(
            page_obj=page,
            count=page.paginator.count,
            relaxed_words=results.relaxed_words,
            any_words=results.any_words,
            terms=highlight_terms(query),
        )
    return render(request, "content/search.html", context)


def regulation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET /regulations/<pk>/: one article word for word, with its place among versions."""
    regulation = get_object_or_404(Regulation.objects.select_related("superseded_by"), pk=pk)
    return render(
        request,
        "content/regulation_detail.html",
        {"regulation": regulation, "supersedes": regulation.supersedes.order_by("pk")},
    )
