"""System checks of the checklist registry (run by `manage.py check`, `migrate`, runserver).

- every checklist version is registered once, and no checklist holds a gate key twice;
- no initiative in the database points at a checklist version that is not registered
  (a database check: `manage.py check --database default`, and `migrate`).
"""

from collections import Counter

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from . import registry


@register()
def checklists_are_well_formed(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    versions = Counter(c.version for c in registry.CHECKLISTS)
    for version, count in versions.items():
        if count > 1:
            errors.append(Error(f"Checklist v{version} is registered {count} times.", id="healthpm.E001",
                                hint="Give each checklist in healthpm/gates/registry.py its own version."))
    for checklist in registry.CHECKLISTS:
        for key, count in Counter(checklist.keys).items():
            if count > 1:
                errors.append(Error(f"Checklist v{checklist.version} holds the gate “{key}” {count} times.",
                                    id="healthpm.E002", hint="A gate appears once per checklist."))
    current = [c.version for c in registry.CHECKLISTS]
    if settings.HEALTHPM_CHECKLIST_VERSION not in current:
        errors.append(Error(f"HEALTHPM_CHECKLIST_VERSION is {settings.HEALTHPM_CHECKLIST_VERSION}, which is not "
                            f"a registered checklist ({', '.join(f'v{v}' for v in current)}).", id="healthpm.E003"))
    return errors


@register(Tags.database)
def initiatives_point_at_registered_checklists(app_configs=None, databases=None, **kwargs) -> list[Error]:
    if not databases:
        return []
    from healthpm.initiatives.models import Initiative

    known = {c.version for c in registry.CHECKLISTS}
    try:
        used = set(Initiative.objects.values_list("checklist_version", flat=True).distinct())
    except DatabaseError:
        return []  # before the first migration there is nothing to check
    return [Error(f"Initiatives are held to checklist v{version}, which is not registered.", id="healthpm.E004",
                  hint="Restore that checklist in healthpm/gates/registry.py: a released checklist is never removed.")
            for version in sorted(used - known)]
