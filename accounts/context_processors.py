from django.conf import settings


def product(request):
    return {"demo_mode": settings.DEMO_MODE, "registry_public": settings.REGISTRY_PUBLIC}
