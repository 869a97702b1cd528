// Adds a row to a Django formset from its <template>, renumbering __prefix__.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-add-row]");
  if (!button) return;
  const prefix = button.dataset.addRow;
  const total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
  const template = document.getElementById(prefix + "-template");
  const tbody = document.querySelector('table[data-prefix="' + prefix + '"] tbody');
  const index = parseInt(total.value, 10);
  tbody.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, index));
  total.value = index + 1;
});
