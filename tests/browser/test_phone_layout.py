"""Every main page fits a 390 × 844 phone: nothing wider than the viewport (issue 13).

Each page is opened as the persona who uses it, in the state that shows the most (tables with
rows, a rejection, a decide form, signed dossiers), and document.documentElement.scrollWidth
must not exceed 390. Wide tables scroll inside their own container; a failure names the
elements that stick out, so the fix is obvious. Screenshots: HEALTHPM_SCREENSHOTS=/tmp/shots.
"""

import pytest

from .test_accessibility import (KEYS, LATEST, People, dashboard, initiative_list, latest_workbench, ready,
                                 under_review, with_dossiers, workbench)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 390, 844

# The elements whose right edge passes the viewport, outermost first (for the failure message).
OVERFLOWING = """(width) => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 && box.width > 0) {
      let inside = false;  // a descendant of an element that scrolls on its own does not count
      for (let p = el.parentElement; p; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (['auto', 'scroll', 'hidden'].includes(s.overflowX) && p.scrollWidth > p.clientWidth) { inside = true; break; }
      }
      if (!inside) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
        ' right=' + Math.round(box.right));
    }
  }
  return out.slice(0, 12);
}"""


def phone(browse, user):
    """A signed-in page in a phone-sized context (the login form fits a phone too)."""
    context = browse.browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1,
                                         is_mobile=True, has_touch=True)
    browse.contexts.append(context)
    context.set_default_timeout(20_000)
    context.on("console", browse.watch.on_console)
    context.on("weberror", lambda web_error: browse.watch.on_page_error(web_error.error))
    context.on("response", browse.watch.on_response)
    page = context.new_page()
    if user is not None:
        page.goto(browse.url("/accounts/login/"))
        page.fill("#id_username", user.username)
        page.fill("#id_password", browse.password)
        page.click("button:has-text('Sign in')")
        page.wait_for_load_state()
    return page


def check(page, browse, shoot, name, path, problems):
    response = page.goto(browse.url(path))
    assert response.status == 200, f"{name}: {path} answered {response.status}"
    if name == "verify":
        page.set_input_files("input[type='file']", files=[{
            "name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}])
        page.click("button:has-text('Verify')")
        page.wait_for_selector("[role='status']")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    shoot(page, "phone-" + name.replace(" ", "-").replace("(", "").replace(")", "").replace(".", ""))
    if width > WIDTH:
        problems.append(f"{name} ({path}) is {width} px wide: " + ", ".join(page.evaluate(OVERFLOWING, WIDTH)))


def test_every_main_page_fits_a_phone(browse, shoot, pm, compliance, leader):
    people = People(pm=pm, compliance=compliance, leader=leader)
    list_path = initiative_list(people)          # a workbench (rejected gate, warnings) and a ready initiative
    bench = workbench(people)
    v2 = latest_workbench(people)
    review = under_review(people)
    ready_one = ready(people)
    dossiers = with_dossiers(people)
    dashboard_path = dashboard(people)
    pages = {
        "pm": [("login", None), ("initiative list", list_path), ("new initiative", "/initiatives/new/"),
               ("inbox", "/inbox/"), ("assigned to me", "/initiatives/?scope=assigned"),
               ("overview", f"/initiatives/{bench.slug}/"), ("dossier page", f"/initiatives/{dossiers.slug}/dossier/")]
        + [(f"v1 gate {key}", f"/initiatives/{bench.slug}/gates/{key}/") for key in KEYS]
        + [(f"v{LATEST.version} gate {key}", f"/initiatives/{v2.slug}/gates/{key}/") for key in LATEST.keys],
        "compliance": [("list all (compliance)", "/initiatives/?scope=all"), ("review queue", "/reviews/"),
                       ("inbox (compliance)", "/inbox/"),
                       ("overview in review (compliance)", f"/initiatives/{review.slug}/"),
                       ("approval (compliance)", f"/initiatives/{ready_one.slug}/approval/")]
        + [(f"decide {key} (compliance)", f"/initiatives/{review.slug}/gates/{key}/") for key in KEYS]
        + [(f"v{LATEST.version} gate {key} (compliance)", f"/initiatives/{v2.slug}/gates/{key}/")
           for key in LATEST.keys],
        "leader": [("dashboard", dashboard_path), ("verify", "/dossiers/verify/"),
                   ("dossier page (leader)", f"/initiatives/{dossiers.slug}/dossier/")],
    }
    problems = []
    anonymous = phone(browse, None)
    check(anonymous, browse, shoot, "login", "/accounts/login/", problems)
    for who, visits in pages.items():
        page = phone(browse, getattr(people, who))
        for name, path in visits:
            if path is None:
                continue
            check(page, browse, shoot, name, path, problems)
    assert not problems, f"{len(problems)} page(s) are wider than a {WIDTH} px phone:\n" + "\n".join(problems)
    browse.assert_clean()
