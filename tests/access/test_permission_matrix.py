"""The permission matrix (SPEC §1, issue 6): every URL pattern × every persona × GET and POST.

Every pattern of the URLconf, the Django admin's included, is requested with real objects
(tests/access/matrix.py) by each persona, with GET and with an empty POST, and the outcome
is compared with the tables below. A new URL fails until it is added here; a row whose URL
is gone fails too. A refused request must not write to the database, and no request may
end in a server error (the test client re-raises it).

STYLE.md asks every view test to cover the allowed persona and at least one refused one:
this matrix is the refused persona for every view. View tests elsewhere cover the allowed
persona and keep a refusal only when it checks more than the status: a message the user
reads, a service-level refusal, separation of duties, what a page shows to whom.
"""


import pytest
from django.contrib import admin
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from healthpm.accounts import roles
from healthpm.dossier import signing

from . import matrix
from .matrix import (FORBIDDEN, HIDDEN, LOGIN, METHOD, METHODS, OK, OUTCOMES, PERSONAS, UNAUTH, Case, classify,
                     concrete_url, snapshot, url_cases)

# Outcomes: ok = 2xx or a redirect elsewhere than a login page · login = sent to sign in ·
# forbidden = 403 · hidden = 404 · method = 405 · bad = 400 (the empty form comes back with
# its errors) · unauth = 401 (the REST API asks for a bearer token). An initiative's URLs are
# checked on a draft, one in review (a gate submitted) and an approved one (signed, locked). The owner, the collaborator and officer_ev
# (a compliance officer who added evidence) are on all three; other_pm is on none.
EXPECTED = """
case                               method  anon   owner     collab    other_pm  officer   officer_ev leader    admin     norole
home                               GET     login  ok        ok        ok        ok        ok        ok        ok        ok
home                               POST    login  method    method    method    method    method    method    method    method
healthz                            GET     ok     ok        ok        ok        ok        ok        ok        ok        ok
healthz                            POST    method method    method    method    method    method    method    method    method
login                              GET     ok     ok        ok        ok        ok        ok        ok        ok        ok
login                              POST    ok     ok        ok        ok        ok        ok        ok        ok        ok
logout                             GET     method method    method    method    method    method    method    method    method
logout                             POST    login  login     login     login     login     login     login     login     login
password_change                    GET     login  ok        ok        ok        ok        ok        ok        ok        ok
password_change                    POST    login  ok        ok        ok        ok        ok        ok        ok        ok
password_change_done               GET     login  ok        ok        ok        ok        ok        ok        ok        ok
password_change_done               POST    login  method    method    method    method    method    method    method    method
# Two-factor sign-in. The code step: for a sign-in waiting for its code (none here, so back to the
# login page) or a session that has not passed one (the personas have no authenticator: sent home).
login_code                         GET     login  ok        ok        ok        ok        ok        ok        ok        ok
login_code                         POST    login  ok        ok        ok        ok        ok        ok        ok        ok
# Enrolment: anyone signed in, for their own account (an empty post without a QR code shown goes back to it).
mfa_enrol                          GET     login  ok        ok        ok        ok        ok        ok        ok        ok
mfa_enrol                          POST    login  ok        ok        ok        ok        ok        ok        ok        ok
# New recovery codes: the holder of an authenticator (without one: sent to enrolment).
mfa_recovery_codes                 GET     login  ok        ok        ok        ok        ok        ok        ok        ok
mfa_recovery_codes                 POST    login  ok        ok        ok        ok        ok        ok        ok        ok
# Single sign-on: with no OIDC_ISSUER set (as here) its pages do not exist.
sso_login                          GET     hidden hidden    hidden    hidden    hidden    hidden    hidden    hidden    hidden
sso_login                          POST    method method    method    method    method    method    method    method    method
sso_callback                       GET     hidden hidden    hidden    hidden    hidden    hidden    hidden    hidden    hidden
sso_callback                       POST    method method    method    method    method    method    method    method    method
sso_backchannel_logout             GET     method method    method    method    method    method    method    method    method
sso_backchannel_logout             POST    hidden hidden    hidden    hidden    hidden    hidden    hidden    hidden    hidden
# "Stay signed in" on the idle-logout warning: any signed-in user, POST only.
keep_alive                         GET     login  method    method    method    method    method    method    method    method
keep_alive                         POST    login  ok        ok        ok        ok        ok        ok        ok        ok

# Initiatives: PMs create; a draft is hidden from other teams and from users without a role.
initiatives:list                   GET     login  ok        ok        ok        ok        ok        ok        ok        ok
initiatives:list                   POST    login  method    method    method    method    method    method    method    method
initiatives:new                    GET     login  ok        ok        ok        forbidden forbidden forbidden forbidden forbidden
initiatives:new                    POST    login  ok        ok        ok        forbidden forbidden forbidden forbidden forbidden
initiatives:overview@draft         GET     login  ok        ok        hidden    ok        ok        ok        ok        hidden
initiatives:overview@draft         POST    login  method    method    method    method    method    method    method    method
initiatives:overview@review        GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
initiatives:overview@review        POST    login  method    method    method    method    method    method    method    method
initiatives:overview@approved      GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
initiatives:overview@approved      POST    login  method    method    method    method    method    method    method    method
# Moving to a later checklist: compliance without a stake only (an empty form is sent back).
initiatives:move_checklist@draft   GET     login  method    method    method    method    method    method    method    method
initiatives:move_checklist@draft   POST    login  forbidden forbidden hidden    ok        forbidden forbidden forbidden hidden
initiatives:move_checklist@review  GET     login  method    method    method    method    method    method    method    method
initiatives:move_checklist@review  POST    login  forbidden forbidden forbidden ok        forbidden forbidden forbidden hidden
initiatives:move_checklist@approved GET    login  method    method    method    method    method    method    method    method
initiatives:move_checklist@approved POST   login  forbidden forbidden forbidden ok        forbidden forbidden forbidden hidden
initiatives:edit@draft             GET     login  ok        ok        hidden    forbidden forbidden forbidden forbidden hidden
initiatives:edit@draft             POST    login  ok        ok        hidden    forbidden forbidden forbidden forbidden hidden
initiatives:edit@review            GET     login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
initiatives:edit@review            POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
initiatives:edit@approved          GET     login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
initiatives:edit@approved          POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden

# Gates: the team fills and submits; officers without a stake decide and record written exceptions;
# everyone who may see reads.
# The gate page of the matrix's gate (the input inventory) takes no POST: its rows are saved one at a
# time (gates:table_row_save). The other gates' pages save their form: tests/access/test_pages.py.
gates:detail@draft                 GET     login  ok        ok        hidden    ok        ok        ok        ok        hidden
gates:detail@draft                 POST    login  method    method    hidden    forbidden forbidden forbidden forbidden hidden
gates:detail@review                GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
gates:detail@review                POST    login  method    method    forbidden forbidden forbidden forbidden forbidden hidden
gates:detail@approved              GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
gates:detail@approved              POST    login  method    method    forbidden forbidden forbidden forbidden forbidden hidden
gates:evidence_add@draft           GET     login  method    method    method    method    method    method    method    method
gates:evidence_add@draft           POST    login  ok        ok        hidden    forbidden forbidden forbidden forbidden hidden
gates:evidence_add@review          GET     login  method    method    method    method    method    method    method    method
gates:evidence_add@review          POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
gates:evidence_add@approved        GET     login  method    method    method    method    method    method    method    method
gates:evidence_add@approved        POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
gates:evidence_download@draft      GET     login  ok        ok        hidden    ok        ok        ok        ok        hidden
gates:evidence_download@draft      POST    login  method    method    method    method    method    method    method    method
gates:evidence_download@review     GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
gates:evidence_download@review     POST    login  method    method    method    method    method    method    method    method
gates:evidence_download@approved   GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
gates:evidence_download@approved   POST    login  method    method    method    method    method    method    method    method
# A gate's table as XLSX: whoever sees the gate, like an evidence download.
gates:table_xlsx@draft             GET     login  ok        ok        hidden    ok        ok        ok        ok        hidden
gates:table_xlsx@draft             POST    login  method    method    method    method    method    method    method    method
gates:table_xlsx@review            GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
gates:table_xlsx@review            POST    login  method    method    method    method    method    method    method    method
gates:table_xlsx@approved          GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
gates:table_xlsx@approved          POST    login  method    method    method    method    method    method    method    method
# The empty template of a table: whoever sees the gate (no saved rows in it, not audited).
gates:table_template@draft         GET     login  ok        ok        hidden    ok        ok        ok        ok        hidden
gates:table_template@draft         POST    login  method    method    method    method    method    method    method    method
gates:table_template@review        GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
gates:table_template@review        POST    login  method    method    method    method    method    method    method    method
gates:table_template@approved      GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
gates:table_template@approved      POST    login  method    method    method    method    method    method    method    method
# Importing a spreadsheet into a table: the team, like saving the form. An empty POST (no file)
# goes back to the gate page saying what to choose; a gate under review or a locked initiative
# refuses it there too.
gates:table_import@draft           GET     login  method    method    method    method    method    method    method    method
gates:table_import@draft           POST    login  ok        ok        hidden    forbidden forbidden forbidden forbidden hidden
gates:table_import@review          GET     login  method    method    method    method    method    method    method    method
gates:table_import@review          POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
gates:table_import@approved        GET     login  method    method    method    method    method    method    method    method
gates:table_import@approved        POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
# A paged table's rows, one at a time: the team, like saving the form. An empty POST adds no row:
# the page comes back naming the missing fields (bad), or, while the gate is under review or the
# initiative locked, goes back to the table saying so. Removing names no row: refused, said there.
gates:table_row_save@draft         GET     login  method    method    method    method    method    method    method    method
gates:table_row_save@draft         POST    login  bad       bad       hidden    forbidden forbidden forbidden forbidden hidden
gates:table_row_save@review        GET     login  method    method    method    method    method    method    method    method
gates:table_row_save@review        POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
gates:table_row_save@approved      GET     login  method    method    method    method    method    method    method    method
gates:table_row_save@approved      POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
gates:table_row_remove@draft       GET     login  method    method    method    method    method    method    method    method
gates:table_row_remove@draft       POST    login  ok        ok        hidden    forbidden forbidden forbidden forbidden hidden
gates:table_row_remove@review      GET     login  method    method    method    method    method    method    method    method
gates:table_row_remove@review      POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
gates:table_row_remove@approved    GET     login  method    method    method    method    method    method    method    method
gates:table_row_remove@approved    POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
# The live check of one row (nothing stored): the team, like the gate's live preview.
gates:table_row_check@draft        GET     login  method    method    method    method    method    method    method    method
gates:table_row_check@draft        POST    login  ok        ok        hidden    forbidden forbidden forbidden forbidden hidden
gates:table_row_check@review       GET     login  method    method    method    method    method    method    method    method
gates:table_row_check@review       POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
gates:table_row_check@approved     GET     login  method    method    method    method    method    method    method    method
gates:table_row_check@approved     POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
# The dry-run preview of an import (GET) and its confirm (POST): only the team member who uploaded
# the file (the owner here); a collaborator does not see the owner's pending import.
gates:table_import_preview@draft   GET     login  ok        hidden    hidden    forbidden forbidden forbidden forbidden hidden
gates:table_import_preview@draft   POST    login  ok        hidden    hidden    forbidden forbidden forbidden forbidden hidden
gates:table_import_preview@review  GET     login  ok        hidden    forbidden forbidden forbidden forbidden forbidden hidden
gates:table_import_preview@review  POST    login  ok        hidden    forbidden forbidden forbidden forbidden forbidden hidden
gates:table_import_preview@approved GET     login  ok        hidden    forbidden forbidden forbidden forbidden forbidden hidden
gates:table_import_preview@approved POST    login  ok        hidden    forbidden forbidden forbidden forbidden forbidden hidden
gates:submit@draft                 GET     login  method    method    method    method    method    method    method    method
gates:submit@draft                 POST    login  ok        ok        hidden    forbidden forbidden forbidden forbidden hidden
gates:submit@review                GET     login  method    method    method    method    method    method    method    method
gates:submit@review                POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
gates:submit@approved              GET     login  method    method    method    method    method    method    method    method
gates:submit@approved              POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
# Withdrawing a submitted gate before it is decided: the team only. Only the gate in review is
# submitted; on the draft and the approved initiative the team is told there is nothing to withdraw
# (back on the gate page, like every refused gate form).
gates:withdraw@draft               GET     login  method    method    method    method    method    method    method    method
gates:withdraw@draft               POST    login  ok        ok        hidden    forbidden forbidden forbidden forbidden hidden
gates:withdraw@review              GET     login  method    method    method    method    method    method    method    method
gates:withdraw@review              POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
gates:withdraw@approved            GET     login  method    method    method    method    method    method    method    method
gates:withdraw@approved            POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
gates:decide@draft                 GET     login  method    method    method    method    method    method    method    method
gates:decide@draft                 POST    login  forbidden forbidden hidden    ok        forbidden forbidden forbidden hidden
gates:decide@review                GET     login  method    method    method    method    method    method    method    method
gates:decide@review                POST    login  forbidden forbidden forbidden ok        forbidden forbidden forbidden hidden
gates:decide@approved              GET     login  method    method    method    method    method    method    method    method
gates:decide@approved              POST    login  forbidden forbidden forbidden ok        forbidden forbidden forbidden hidden
gates:exception@draft              GET     login  method    method    method    method    method    method    method    method
gates:exception@draft              POST    login  forbidden forbidden hidden    ok        forbidden forbidden forbidden hidden
gates:exception@review             GET     login  method    method    method    method    method    method    method    method
gates:exception@review             POST    login  forbidden forbidden forbidden ok        forbidden forbidden forbidden hidden
gates:exception@approved           GET     login  method    method    method    method    method    method    method    method
gates:exception@approved           POST    login  forbidden forbidden forbidden ok        forbidden forbidden forbidden hidden
gates:preview@draft                GET     login  method    method    method    method    method    method    method    method
gates:preview@draft                POST    login  ok        ok        hidden    forbidden forbidden forbidden forbidden hidden
gates:preview@review               GET     login  method    method    method    method    method    method    method    method
gates:preview@review               POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden
gates:preview@approved             GET     login  method    method    method    method    method    method    method    method
gates:preview@approved             POST    login  ok        ok        forbidden forbidden forbidden forbidden forbidden hidden

# Collaboration (issue 13): the owner assigns a gate and asks for a reviewer (an empty form
# unassigns; on a signed initiative the refusal is said on the gate page); the team and compliance
# comment (an empty comment is sent back to the gate with its error); leadership only reads.
collaboration:assign@draft         GET     login  method    method    method    method    method    method    method    method
collaboration:assign@draft         POST    login  ok        forbidden hidden    forbidden forbidden forbidden forbidden hidden
collaboration:assign@review        GET     login  method    method    method    method    method    method    method    method
collaboration:assign@review        POST    login  ok        forbidden forbidden forbidden forbidden forbidden forbidden hidden
collaboration:assign@approved      GET     login  method    method    method    method    method    method    method    method
collaboration:assign@approved      POST    login  ok        forbidden forbidden forbidden forbidden forbidden forbidden hidden
collaboration:comment@draft        GET     login  method    method    method    method    method    method    method    method
collaboration:comment@draft        POST    login  ok        ok        hidden    ok        ok        forbidden forbidden hidden
collaboration:comment@review       GET     login  method    method    method    method    method    method    method    method
collaboration:comment@review       POST    login  ok        ok        forbidden ok        ok        forbidden forbidden hidden
collaboration:comment@approved     GET     login  method    method    method    method    method    method    method    method
collaboration:comment@approved     POST    login  ok        ok        forbidden ok        ok        forbidden forbidden hidden

# The inbox: everyone signed in has one; an entry (here the owner's) is the recipient's alone.
notifications:inbox                GET     login  ok        ok        ok        ok        ok        ok        ok        ok
notifications:inbox                POST    login  method    method    method    method    method    method    method    method
notifications:read                 GET     login  method    method    method    method    method    method    method    method
notifications:read                 POST    login  ok        hidden    hidden    hidden    hidden    hidden    hidden    hidden
notifications:read_all             GET     login  method    method    method    method    method    method    method    method
notifications:read_all             POST    login  ok        ok        ok        ok        ok        ok        ok        ok

# Final decision: only an officer without a stake signs or reopens (the empty reopen form
# sends the officer back to the approval page with its error).
approvals:approval@draft           GET     login  ok        ok        hidden    ok        ok        ok        ok        hidden
approvals:approval@draft           POST    login  forbidden forbidden hidden    bad       forbidden forbidden forbidden hidden
approvals:approval@review          GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
approvals:approval@review          POST    login  forbidden forbidden forbidden bad       forbidden forbidden forbidden hidden
approvals:approval@approved        GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
approvals:approval@approved        POST    login  forbidden forbidden forbidden bad       forbidden forbidden forbidden hidden
# Where an SSO officer's re-authentication comes back to sign; with no answer waiting it goes back to the page.
approvals:sign_reauthenticated@draft    GET     login  ok        ok        hidden    ok        ok        ok        ok        hidden
approvals:sign_reauthenticated@draft    POST    login  method    method    method    method    method    method    method    method
approvals:sign_reauthenticated@review   GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
approvals:sign_reauthenticated@review   POST    login  method    method    method    method    method    method    method    method
approvals:sign_reauthenticated@approved GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
approvals:sign_reauthenticated@approved POST    login  method    method    method    method    method    method    method    method
approvals:reopen@draft             GET     login  method    method    method    method    method    method    method    method
approvals:reopen@draft             POST    login  forbidden forbidden hidden    ok        forbidden forbidden forbidden hidden
approvals:reopen@review            GET     login  method    method    method    method    method    method    method    method
approvals:reopen@review            POST    login  forbidden forbidden forbidden ok        forbidden forbidden forbidden hidden
approvals:reopen@approved          GET     login  method    method    method    method    method    method    method    method
approvals:reopen@approved          POST    login  forbidden forbidden forbidden ok        forbidden forbidden forbidden hidden
# Monitoring after launch (issue 16): whoever sees the initiative sees the page; the team, compliance
# and authorised service accounts (the superuser holds every permission) upload samples: an empty
# upload comes back with its error. Leadership and other teams read only.
monitoring:page@draft              GET     login  ok        ok        hidden    ok        ok        ok        ok        hidden
monitoring:page@draft              POST    login  bad       bad       hidden    bad       bad       forbidden bad       hidden
monitoring:page@review             GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
monitoring:page@review             POST    login  bad       bad       forbidden bad       bad       forbidden bad       hidden
monitoring:page@approved           GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
monitoring:page@approved           POST    login  bad       bad       forbidden bad       bad       forbidden bad       hidden

# Dashboard: leadership, compliance and the administrator.
dashboard:portfolio                GET     login  forbidden forbidden forbidden ok        ok        ok        ok        forbidden
dashboard:portfolio                POST    login  method    method    method    method    method    method    method    method
dashboard:export_csv               GET     login  forbidden forbidden forbidden ok        ok        ok        ok        forbidden
dashboard:export_csv               POST    login  method    method    method    method    method    method    method    method
dashboard:export_xlsx              GET     login  forbidden forbidden forbidden ok        ok        ok        ok        forbidden
dashboard:export_xlsx              POST    login  method    method    method    method    method    method    method    method

# The review queue: compliance officers only (officer_ev sees the gates it may not decide listed apart).
reviews:queue                      GET     login  forbidden forbidden forbidden ok        ok        forbidden forbidden forbidden
reviews:queue                      POST    login  method    method    method    method    method    method    method    method

# Dossiers: the team, compliance and leadership generate; whoever sees the initiative downloads.
dossier:page@draft                 GET     login  ok        ok        hidden    ok        ok        ok        ok        hidden
dossier:page@draft                 POST    login  ok        ok        hidden    ok        ok        ok        forbidden hidden
dossier:page@review                GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
dossier:page@review                POST    login  ok        ok        forbidden ok        ok        ok        forbidden hidden
dossier:page@approved              GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
dossier:page@approved              POST    login  ok        ok        forbidden ok        ok        ok        forbidden hidden
dossier:download@draft             GET     login  ok        ok        hidden    ok        ok        ok        ok        hidden
dossier:download@draft             POST    login  method    method    method    method    method    method    method    method
dossier:download@review            GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
dossier:download@review            POST    login  method    method    method    method    method    method    method    method
dossier:download@approved          GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
dossier:download@approved          POST    login  method    method    method    method    method    method    method    method
# The CHAI model card XML alone (checklist v2): whoever sees the initiative, like a dossier
# download; a v1 initiative has none (404, tests/dossier/test_model_card.py).
dossier:model_card@draft           GET     login  ok        ok        hidden    ok        ok        ok        ok        hidden
dossier:model_card@draft           POST    login  method    method    method    method    method    method    method    method
dossier:model_card@review          GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
dossier:model_card@review          POST    login  method    method    method    method    method    method    method    method
dossier:model_card@approved        GET     login  ok        ok        ok        ok        ok        ok        ok        hidden
dossier:model_card@approved        POST    login  method    method    method    method    method    method    method    method
dossier:verify                     GET     login  ok        ok        ok        ok        ok        ok        ok        ok
dossier:verify                     POST    login  bad       bad       bad       bad       bad       bad       bad       bad

# The REST API (/api/v1/, issue 16) takes bearer tokens only: a web session is not one, so every
# persona here (cookies, no token) gets 401 with a Bearer challenge, before the method is looked at.
# What a token may do per persona and scope: tests/api/. The schema and the docs page also answer
# a signed-in session, so people can read them in the browser.
api:schema                         GET     unauth ok        ok        ok        ok        ok        ok        ok        ok
api:schema                         POST    unauth method    method    method    method    method    method    method    method
api:docs                           GET     login  ok        ok        ok        ok        ok        ok        ok        ok
api:docs                           POST    login  method    method    method    method    method    method    method    method
api:dossier_verify                 GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossier_verify                 POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:initiatives                    GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:initiatives                    POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:initiative@draft               GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:initiative@draft               POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:initiative@review              GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:initiative@review              POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:initiative@approved            GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:initiative@approved            POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:gate@draft                     GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:gate@draft                     POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:gate@review                    GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:gate@review                    POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:gate@approved                  GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:gate@approved                  POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:metrics@draft                  GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:metrics@draft                  POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:metrics@review                 GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:metrics@review                 POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:metrics@approved               GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:metrics@approved               POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:evidence@draft                 GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:evidence@draft                 POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:evidence@review                GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:evidence@review                POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:evidence@approved              GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:evidence@approved              POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossiers@draft                 GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossiers@draft                 POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossiers@review                GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossiers@review                POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossiers@approved              GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossiers@approved              POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossier_download@draft         GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossier_download@draft         POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossier_download@review        GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossier_download@review        POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossier_download@approved      GET     unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
api:dossier_download@approved      POST    unauth unauth    unauth    unauth    unauth    unauth    unauth    unauth    unauth
# A user's own API tokens: anyone signed in (an empty form comes back with its errors);
# revoking is the token owner's alone (someone else's token is 404).
api_tokens                         GET     login  ok        ok        ok        ok        ok        ok        ok        ok
api_tokens                         POST    login  ok        ok        ok        ok        ok        ok        ok        ok
api_token_revoke                   GET     login  method    method    method    method    method    method    method    method
api_token_revoke                   POST    login  ok        hidden    hidden    hidden    hidden    hidden    hidden    hidden

# The Django admin's own pages: staff only. Its sign-in page is public; a non-staff user
# asking to sign out of the admin is sent to the admin index, which asks them to sign in.
# The administrator's own sign-out ends on the site's login page.
admin:index                        GET     login  login     login     login     login     login     login     ok        login
admin:index                        POST    login  login     login     login     login     login     login     ok        login
admin:login                        GET     ok     ok        ok        ok        ok        ok        ok        ok        ok
admin:login                        POST    ok     ok        ok        ok        ok        ok        ok        ok        ok
admin:logout                       GET     ok     ok        ok        ok        ok        ok        ok        method    ok
admin:logout                       POST    ok     ok        ok        ok        ok        ok        ok        login     ok
admin:password_change              GET     login  login     login     login     login     login     login     ok        login
admin:password_change              POST    login  login     login     login     login     login     login     ok        login
admin:password_change_done         GET     login  login     login     login     login     login     login     ok        login
admin:password_change_done         POST    login  login     login     login     login     login     login     method    login
admin:autocomplete                 GET     login  login     login     login     login     login     login     forbidden login
admin:autocomplete                 POST    login  login     login     login     login     login     login     method    login
admin:jsi18n                       GET     login  login     login     login     login     login     login     ok        login
admin:jsi18n                       POST    login  login     login     login     login     login     login     method    login
admin:view_on_site                 GET     login  login     login     login     login     login     login     ok        login
admin:view_on_site                 POST    login  login     login     login     login     login     login     ok        login
admin:app_list                     GET     login  login     login     login     login     login     login     ok        login
admin:app_list                     POST    login  login     login     login     login     login     login     ok        login
admin/(?P<url>.*)$                 GET     login  login     login     login     login     login     login     hidden    login
admin/(?P<url>.*)$                 POST    login  login     login     login     login     login     login     hidden    login
"""

# Every model in the admin, by what the administrator may do with it (SPEC §1: users, roles
# and reference data are managed; the audit trail and the initiatives' workflow are not
# bypassed; logs the system writes are never added by hand). Everyone else is sent to the
# admin's sign-in page. A newly registered model fails until it is listed here.
MANAGE, NO_ADD, READ_ONLY = "manage", "no add", "read only"
# Added, then never edited or deleted: an API token is revoked (an action) and a new one made.
ADD_ONLY = "add only"
# Managed, never deleted: a service account's past actions keep their actor (deactivate the user).
NO_DELETE = "no delete"
ADMIN_MODELS = {
    "auth.group": MANAGE,
    "auth.user": MANAGE,
    "gates.sourcesystem": MANAGE,
    "gates.proxyvariable": MANAGE,
    "gates.subgroupdimension": MANAGE,
    "notifications.notification": NO_ADD,
    "axes.accessattempt": NO_ADD,
    "axes.accesslog": NO_ADD,
    "axes.accessfailurelog": NO_ADD,
    "audit.auditevent": READ_ONLY,
    "initiatives.initiative": READ_ONLY,
    "accounts.ssoidentity": READ_ONLY,
    "api.apitoken": ADD_ONLY,
    "api.serviceaccount": NO_DELETE,
    # Outgoing webhooks: endpoints are managed; the delivery log is read-only (its "Retry now"
    # is a changelist action, a POST the administrator may make).
    "webhooks.webhookendpoint": MANAGE,
    "webhooks.webhookdelivery": READ_ONLY,
    # Every certificate dossiers were signed with, recorded at signing (rotation history).
    "dossier.signingcertificate": READ_ONLY,
}
# The pages every ModelAdmin has ("redirect" is the unnamed <object_id>/ → change/ pattern),
# plus the user admin's password form.
ADMIN_ACTIONS = ("changelist", "add", "history", "delete", "change", "redirect", "password_change")

# Signing out writes by design: the audit trail records it, django-axes stamps its access log.
MAY_WRITE = {"logout", "admin:logout"}


def _parse(text: str) -> dict[tuple[str, str], dict[str, str]]:
    table, header = {}, None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split()
        if header is None:
            header = cells
            assert tuple(header[2:]) == PERSONAS, f"table columns {header[2:]} are not the personas {PERSONAS}"
            continue
        assert len(cells) == len(header), f"row has {len(cells)} cells, not {len(header)}: {line!r}"
        case_id, method, *outcomes = cells
        assert method in METHODS and (case_id, method) not in table, f"bad or repeated row: {line!r}"
        assert set(outcomes) <= set(OUTCOMES), f"unknown outcome in {line!r}"
        table[case_id, method] = dict(zip(PERSONAS, outcomes))
    return table


TABLE = _parse(EXPECTED)
CASES = {case.id: case for case in url_cases()}


def admin_model_page(case: Case) -> tuple[str, str] | None:
    """("auth.user", "change") for a ModelAdmin page, None for any other URL."""
    model = matrix._admin_model(case.pattern.route)
    if model is None:
        return None
    label = model._meta.label_lower
    if case.pattern.name is None:
        return label, "redirect"
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
    action = case.pattern.name.removeprefix(prefix)
    return label, action


def expected(case: Case, persona: str, method: str) -> str:
    if (case.id, method) in TABLE:
        return TABLE[case.id, method][persona]
    page = admin_model_page(case)
    assert page is not None, f"{case.id} ({case.pattern.route}) is not in the permission matrix: add its rows"
    label, action = page
    assert label in ADMIN_MODELS, f"admin model {label} is not in ADMIN_MODELS: decide what the administrator may do"
    assert action in ADMIN_ACTIONS, f"{case.id}: admin page kind {action!r} is not in the permission matrix"
    if persona != "admin":
        return LOGIN
    policy = ADMIN_MODELS[label]
    if action == "add" and policy in (NO_ADD, READ_ONLY):
        return FORBIDDEN
    if policy in (READ_ONLY, ADD_ONLY) and (action == "delete" or (action == "change" and method == "POST")):
        return FORBIDDEN
    if policy == NO_DELETE and action == "delete":
        return FORBIDDEN
    return OK


# --- the world --------------------------------------------------------------------------------
PASSPHRASE = "matrix-signing-passphrase"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the module, inside a transaction rolled back at the end.

    Each test runs in its own savepoint on top (pytest-django's `db`), so whatever an
    allowed request changes is gone before the next case.
    """
    folder = tmp_path_factory.mktemp("matrix")
    signing.make_certificate(folder / "signing.p12", secret=PASSPHRASE.encode())
    overrides = override_settings(
        MEDIA_ROOT=folder / "media", HEALTHPM_SIGNING_P12=folder / "signing.p12",
        HEALTHPM_SIGNING_PASSPHRASE=PASSPHRASE,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        # /healthz also asks the broker; the matrix is about who may open it, not about Redis.
        CELERY_BROKER_URL="",
    )
    overrides.enable()
    outer = transaction.atomic()
    try:
        with django_db_blocker.unblock():
            outer.__enter__()
            built = matrix.build_world()
            built.baseline = snapshot()
        built.media = folder / "media"
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        overrides.disable()


@pytest.fixture
def as_persona(world, settings, client):
    """as_persona(name) → the test client, signed in as that persona (not at all for "anon")."""
    settings.MEDIA_ROOT = world.media  # conftest points every test at its own tmp_path

    def _client(persona):
        if persona != "anon":
            client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona]
        return client

    return _client


# --- the tests --------------------------------------------------------------------------------
def test_every_url_pattern_is_in_the_matrix():
    """A new URL fails until its rows are added; a row for a URL that is gone fails too."""
    missing = []
    for case in CASES.values():
        for method in METHODS:
            try:
                expected(case, "anon", method)
            except AssertionError as exc:
                missing.append(str(exc))
    stale = sorted({case_id for case_id, _ in TABLE} - set(CASES))
    registered = {model._meta.label_lower for model in admin.site._registry}
    stale_models = sorted(set(ADMIN_MODELS) - registered)
    assert not missing, "URL patterns missing from the permission matrix:\n  " + "\n  ".join(sorted(set(missing)))
    assert not stale, f"rows for URLs no longer in the URLconf: {stale}"
    assert not stale_models, f"ADMIN_MODELS lists models no longer in the admin: {stale_models}"
    assert {method for _, method in TABLE} == set(METHODS)
    patterns = {case.pattern.key for case in CASES.values()}
    # The count for the record (pytest -s): every one of these is a test_permission case.
    print(f"\npermission matrix: {len(patterns)} URL patterns ({len(CASES)} cases with the initiative states) "
          f"× {len(PERSONAS)} personas × {len(METHODS)} methods = {len(CASES) * len(PERSONAS) * len(METHODS)} requests")


@pytest.mark.django_db
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case_id", list(CASES))
def test_permission(case_id, persona, method, world, as_persona):
    check(case_id, persona, method, world, as_persona(persona))


# Signed in through single sign-on instead: the same answers (access.py never asks how someone
# signed in), with the SSO session checks running on every request. The sso_* pages exist only
# with SSO on and are covered in tests/accounts/test_sso.py and the browser journeys.
@pytest.mark.django_db
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("persona", matrix.SSO_PERSONAS)
@pytest.mark.parametrize("case_id", [case_id for case_id in CASES if not case_id.startswith("sso_")])
def test_permission_when_signed_in_with_sso(case_id, persona, method, world, settings, client):
    settings.MEDIA_ROOT = world.media
    settings.OIDC_ISSUER = matrix.SSO_ISSUER
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sso_sessions[persona]
    check(case_id, persona, method, world, client)


def check(case_id, persona, method, world, client):
    """One request of the matrix: the outcome the table expects, and nothing written when refused."""
    case = CASES[case_id]
    want = expected(case, persona, method)
    url = concrete_url(case, world)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url) if method == "GET" else client.post(url, {})
        if response.streaming:  # downloads: read through, so the test client closes them
            b"".join(response.streaming_content)
    outcome = classify(response)

    where = f" → {response['Location']}" if response.has_header("Location") else ""
    assert outcome == want, f"{method} {url} as {persona}: {outcome} ({response.status_code}{where}), expected {want}"
    if outcome != OK and case.pattern.key not in MAY_WRITE:
        wrote = matrix.writes(queries.captured_queries)
        assert not wrote, f"{method} {url} as {persona} answered {outcome}, not success, yet wrote: {wrote}"
        if method == "POST" and outcome in (FORBIDDEN, HIDDEN):
            # The view itself ran and refused: compare the data too, not only the SQL sent.
            assert snapshot() == world.baseline, f"{method} {url} as {persona} was refused but changed the data"


@pytest.mark.django_db
def test_the_personas_are_who_the_columns_say(world):
    """Guard the matrix itself: the people are who the columns say they are."""
    from healthpm import access

    users, initiatives = world.users, world.initiatives
    approved = initiatives["approved"]
    assert access.decision_conflict(users["officer_ev"], approved) and not access.can_decide(users["officer_ev"], approved)
    assert access.can_decide(users["officer"], approved)
    assert users["collab"].pk in approved.team_ids() and users["other_pm"].pk not in approved.team_ids()
    assert users["officer_ev"].pk not in approved.team_ids()
    assert users["admin"].is_superuser and not roles.role_names(users["admin"])
    assert world.dossiers["approved"].kind == "final"
    assert {HIDDEN, FORBIDDEN, METHOD, LOGIN, UNAUTH} <= {o for row in TABLE.values() for o in row.values()}
