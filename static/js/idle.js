// Idle logout warning and "Restore what you typed?" (issue 13, HIPAA automatic logoff).
//
// The server signs a session out after HEALTHPM_IDLE_LOGOUT_SECONDS without a request
// (healthpm/accounts/middleware.py). This script, kept out of the templates so the
// Content-Security-Policy can forbid inline scripts:
// 1. reads how many seconds are left from <body data-idle-remaining>, and after every htmx
//    request from its X-Idle-Remaining header; tabs share the newest deadline in localStorage;
// 2. HEALTHPM_IDLE_WARNING_SECONDS before, opens the #idle-warning dialog (focus moves to
//    "Stay signed in"; Esc means the same), which posts to the keep-alive URL;
// 3. when the time is up, keeps what was typed in the page's forms in sessionStorage (this tab
//    only; never passwords, files, hidden fields or CSRF tokens), keyed by path and user, then
//    reloads so the server signs the session out and sends the user to the login page;
// 4. after signing in again on that path, offers the draft back (#draft-restore), then forgets it.
(function () {
  "use strict";
  const body = document.body;
  const DRAFT_PREFIX = "healthpm:draft:";
  const DEADLINE_KEY = "healthpm:idle-deadline";
  const SKIPPED_TYPES = ["password", "file", "hidden", "submit", "button", "reset", "image"];

  function draftKey() { return DRAFT_PREFIX + window.location.pathname; }

  function storage(kind) {
    try { return window[kind]; } catch (e) { return null; }  // disabled storage: no drafts, still a warning
  }

  // --- what was typed ------------------------------------------------------------------------------
  function draftForms() {
    return Array.from(document.querySelectorAll("main form[method='post' i]"))
      .filter(function (form) { return !form.hasAttribute("data-no-draft"); });
  }

  function keptFields(form) {
    return Array.from(form.elements).filter(function (el) {
      if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken") return false;
      if (el.tagName === "INPUT") return !SKIPPED_TYPES.includes((el.type || "text").toLowerCase());
      return el.tagName === "TEXTAREA" || el.tagName === "SELECT";
    });
  }

  // Only what the user changed from what the page came with, so a restore never overwrites the rest.
  function changed(el) {
    if (el.tagName === "SELECT") {
      return Array.from(el.options).some(function (o) { return o.selected !== o.defaultSelected; });
    }
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    return el.value !== el.defaultValue;
  }

  function valueOf(el) {
    if (el.tagName === "SELECT") {
      return Array.from(el.selectedOptions).map(function (o) { return o.value; });
    }
    if (el.type === "checkbox" || el.type === "radio") return el.checked;
    return el.value;
  }

  function saveDraft() {
    const store = storage("sessionStorage");
    if (!store) return;
    const forms = draftForms().map(function (form, index) {
      const fields = keptFields(form).filter(changed).map(function (el) {
        return {name: el.name, type: el.type, value: el.type === "radio" ? el.value : null, state: valueOf(el)};
      });
      return {index: index, fields: fields};
    }).filter(function (form) { return form.fields.length; });
    if (!forms.length) return;
    store.setItem(draftKey(), JSON.stringify({user: body.dataset.idleUser, saved: Date.now(), forms: forms}));
  }

  function restoreDraft(draft) {
    const forms = draftForms();
    let restored = 0;
    draft.forms.forEach(function (saved) {
      const form = forms[saved.index];
      if (!form) return;
      saved.fields.forEach(function (field) {
        const candidates = keptFields(form).filter(function (el) {
          return el.name === field.name && (field.type !== "radio" || el.value === field.value);
        });
        const el = candidates[0];
        if (!el) return;
        if (el.tagName === "SELECT") {
          Array.from(el.options).forEach(function (o) { o.selected = field.state.includes(o.value); });
        } else if (el.type === "checkbox" || el.type === "radio") {
          el.checked = field.state;
        } else {
          el.value = field.state;
        }
        el.dispatchEvent(new Event("input", {bubbles: true}));
        el.dispatchEvent(new Event("change", {bubbles: true}));
        restored += 1;
      });
    });
    return restored;
  }

  function forgetDrafts() {
    const store = storage("sessionStorage");
    if (!store) return;
    Object.keys(store).filter(function (k) { return k.startsWith(DRAFT_PREFIX); })
      .forEach(function (k) { store.removeItem(k); });
  }

  function offerDraft() {
    const store = storage("sessionStorage");
    const offer = document.getElementById("draft-restore");
    if (!store || !offer) return;
    const raw = store.getItem(draftKey());
    if (!raw) return;
    let draft;
    try { draft = JSON.parse(raw); } catch (e) { store.removeItem(draftKey()); return; }
    if (draft.user !== body.dataset.idleUser || !draftForms().length) {
      // Someone else signed in at this workstation: what the last person typed is not theirs to see.
      store.removeItem(draftKey());
      return;
    }
    const when = new Date(draft.saved);
    offer.querySelector("[data-draft-time]").textContent =
      when.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
    offer.hidden = false;
    offer.querySelector("[data-draft-restore]").addEventListener("click", function () {
      const count = restoreDraft(draft);
      store.removeItem(draftKey());
      offer.querySelector("[data-draft-question]").hidden = true;
      offer.querySelector("[data-draft-buttons]").hidden = true;
      const done = offer.querySelector("[data-draft-done]");
      done.textContent = "Restored " + count + " field" + (count === 1 ? "" : "s") +
        ". Check them, then save the form: nothing was saved yet.";
      done.hidden = false;
      done.focus();
    });
    offer.querySelector("[data-draft-discard]").addEventListener("click", function () {
      store.removeItem(draftKey());
      offer.hidden = true;
    });
  }

  // Signing out on purpose leaves nothing typed behind in the tab.
  document.addEventListener("submit", function (event) {
    if (event.target.matches("[data-sign-out]")) forgetDrafts();
  });

  offerDraft();

  // --- the countdown -------------------------------------------------------------------------------
  const dialog = document.getElementById("idle-warning");
  if (!dialog || !body.dataset.idleRemaining) return;
  const warning = Number(body.dataset.idleWarning) * 1000;
  const keepAlive = dialog.querySelector("form");
  const countdown = dialog.querySelector("[data-idle-countdown]");
  const shared = storage("localStorage");
  let deadline = 0;
  let expired = false;

  function setDeadline(remainingSeconds) {
    deadline = Date.now() + Number(remainingSeconds) * 1000;
    if (shared) shared.setItem(DEADLINE_KEY, String(deadline));
  }

  function currentDeadline() {
    const other = shared ? Number(shared.getItem(DEADLINE_KEY)) || 0 : 0;
    return Math.max(deadline, other);  // another tab's activity keeps this session alive too
  }

  function format(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function expire() {
    if (expired) return;
    expired = true;
    saveDraft();
    // The server signs the session out on this request and sends the login page with the reason.
    window.location.reload();
  }

  function tick() {
    const left = currentDeadline() - Date.now();
    if (left <= -1000) { expire(); return; }  // a second late, so the server agrees it is over
    if (left <= warning) {
      countdown.textContent = format(left);
      if (!dialog.open) dialog.showModal();
    } else if (dialog.open) {
      dialog.close();
    }
  }

  keepAlive.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(keepAlive.action, {
      method: "POST", body: new FormData(keepAlive), credentials: "same-origin",
      headers: {"Accept": "application/json"},
    }).then(function (response) {
      const json = (response.headers.get("Content-Type") || "").startsWith("application/json");
      if (!response.ok || !json) throw new Error("signed out");
      return response.json();
    }).then(function (data) {
      setDeadline(data.remaining_seconds);
      dialog.close();
    }).catch(expire);
  });

  // Esc means "Stay signed in": someone pressing a key is at the workstation.
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    keepAlive.requestSubmit();
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    const xhr = event.detail && event.detail.xhr;
    const remaining = xhr && xhr.getResponseHeader("X-Idle-Remaining");
    if (remaining !== null && remaining !== undefined && remaining !== "") setDeadline(remaining);
  });

  // A form sent after the deadline (a laptop woke from sleep) would be refused at the login page.
  document.addEventListener("submit", function (event) {
    if (!event.target.matches("[data-sign-out]") && currentDeadline() < Date.now()) saveDraft();
  }, true);

  setDeadline(body.dataset.idleRemaining);
  tick();
  window.setInterval(tick, 1000);
})();
