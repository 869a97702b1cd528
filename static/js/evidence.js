// "Replace" on an evidence row points the upload form at that piece (a new version of it).
// Kept out of the template so the Content-Security-Policy can forbid inline scripts.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-replace-evidence]");
  if (!button) return;
  document.getElementById("id_replaces").value = button.dataset.replaceEvidence;
  document.getElementById("id_item").value = button.dataset.item;
  document.getElementById("replacing").textContent = button.dataset.label;
  document.getElementById("evidence-form").scrollIntoView();
});
