from django.utils import timezone


def published(queryset):
    return queryset.filter(published_at__lte=timezone.now()).order_by("-published_at")


def excerpt(post, words: int = 40) -> dict:
    return {"id": post.pk, "title": post.title, "excerpt": " ".join(post.body.split()[:words])}
