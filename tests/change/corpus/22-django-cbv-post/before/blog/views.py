from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.decorators.http import require_POST

from .models import Comment, Post
from .utils import excerpt, published


def index(request):
    posts = published(Post.objects.all())[:20]
    return render(request, "blog/index.html", {"posts": [excerpt(p) for p in posts]})


class PostDetailView(View):
    def get(self, request, pk):
        post = get_object_or_404(Post, pk=pk)
        return render(request, "blog/detail.html", {"post": post})


@require_POST
def add_comment(request, pk):
    post = get_object_or_404(Post, pk=pk)
    Comment.objects.create(post=post, body=request.POST["body"])
    return redirect("blog:detail", pk=pk)


def year_archive(request, year):
    posts = published(Post.objects.filter(created__year=year))
    return JsonResponse({"year": year, "count": posts.count()})
