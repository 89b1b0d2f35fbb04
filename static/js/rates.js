// Rates: the form posts to the page (it works without this script). The script shows only
// the parts the chosen plan type uses, and adds and removes rows in place.
import { $, $$ } from "./api.js";

const form = $("#rates-form");
const type = form.elements.rate_type;

function showType() {
  $$("[data-types]", form).forEach((el) => { el.hidden = !el.dataset.types.split(" ").includes(type.value); });
}

// A new row: a copy of the list's last row, emptied (every list ends with spare rows).
function addRow(list) {
  const rows = $$("[data-row]", list);
  const row = rows[rows.length - 1].cloneNode(true);
  row.querySelectorAll("input").forEach((input) => { input.value = ""; input.removeAttribute("aria-invalid"); });
  row.querySelectorAll("select").forEach((select) => { select.selectedIndex = 0; });
  row.querySelectorAll(".field-error").forEach((el) => el.remove());
  list.append(row);
  row.querySelector("input")?.focus();
}

function removeRow(row) {
  const list = row.parentElement;
  if ($$("[data-row]", list).length > 1) row.remove();
  else row.querySelectorAll("input").forEach((input) => { input.value = ""; });
}

type.addEventListener("change", showType);
form.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  if (!button) return;
  if (button.dataset.action === "add-row") addRow(button.closest("fieldset").querySelector("[data-rows]"));
  if (button.dataset.action === "remove-row") removeRow(button.closest("[data-row]"));
});
if (form.dataset.editable === "1") $$("[data-action=add-row], [data-action=remove-row]", form).forEach((b) => { b.hidden = false; });
showType();
