from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from petitions.models import Category


def home(request: HttpRequest) -> HttpResponse:
    categories = Category.objects.filter(is_active=True)
    return render(request, "portal/home.html", {"categories": categories})
