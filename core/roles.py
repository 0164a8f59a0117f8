"""The site-wide roles, read from flags on the user (accounts.User): who curates the registry, who analyses
quality, who administers. Here rather than in accounts so that the registry can ask without knowing units."""


def is_curator(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_curator or user.is_superuser)


def is_quality_analyst(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_quality_analyst or user.is_superuser)


def is_administrator(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_superuser
