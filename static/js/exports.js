// Exports: create with options, follow progress, download, retry, delete.
import { api, $, $$, say, showError, busy, flash, fmt } from "./api.js";

const form = $("#export-form");
const table = $("#export-table tbody");
const box = $("#export-message");
const TYPES = { device_data: "Device readings", cost_analysis: "Cost analysis", system_report: "System report", personal_data: "Personal data", audit_logs: "Audit logs", insights: "Insights" };
const withOwner = $$("#export-table thead th").some((th) => th.textContent === "By");

// Without this script every field shows; with it, only the ones the choices need.
function showCustom() {
  const custom = form.elements.preset.value === "custom";
  $$("[data-custom]", form).forEach((el) => { el.hidden = !custom; });
}
function showDevices() {
  $("[data-device-list]", form).hidden = form.elements.all_devices.checked;
}
form.elements.preset.addEventListener("change", showCustom);
form.elements.all_devices.addEventListener("change", showDevices);
showCustom();
showDevices();

function request() {
  const f = form.elements;
  const checked = (name) => $$(`input[name=${name}]:checked`, form).map((el) => el.value);
  let dateRange = f.preset.value;
  if (dateRange === "custom") {
    if (!f.start.value || !f.end.value) throw { field: "start", message: "Choose both the first and the last day." };
    dateRange = { start: f.start.value, end: f.end.value };
  }
  const devices = f.all_devices.checked ? "all" : checked("devices").map(Number);
  if (devices !== "all" && !devices.length) throw { field: "all_devices", message: "Pick at least one device, or All devices." };
  const fields = checked("fields");
  if (!fields.length) throw { field: "fields", message: "Pick at least one column." };
  const body = { export_type: f.export_type.value, format: f.format.value, date_range: dateRange, devices, fields, aggregation: f.aggregation.value };
  if (f.compression.value) body.compression = f.compression.value;
  return body;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  let body;
  try { body = request(); } catch (err) { return showError(form, err, box); }
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      const created = await api("/api/exports/create", { method: "POST", body });
      say(box, "Export queued. You can leave this page; it keeps running.", "success");
      const job = await api(`/api/exports/${created.export_id}`);
      table.prepend(row(job));
      $("#export-empty").hidden = true;
      follow(created.export_id);
    } catch (err) {
      showError(form, err, box);
    }
  });
});

function cell(content, className = "") {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.append(...[content].flat());
  return td;
}

function el(tag, props = {}, text = "") {
  const node = Object.assign(document.createElement(tag), props);
  if (text) node.textContent = text;
  return node;
}

function statusCell(job) {
  const parts = [el("span", { className: "badge " + job.status }, job.status.charAt(0).toUpperCase() + job.status.slice(1))];
  if (job.status === "queued" || job.status === "running") {
    const bar = el("progress", { className: "progress", max: 100, value: job.progress || 0 });
    bar.setAttribute("aria-label", "Export progress");
    parts.push(bar);
  }
  if (job.status === "failed" && job.error) parts.push(el("span", { className: "small muted" }, " " + job.error));
  return parts;
}

function button(label, action) {
  const node = el("button", { type: "button", className: "secondary" }, label);
  node.dataset.action = action;
  return node;
}

function actions(job) {
  const wrap = el("div", { className: "actions" });
  if (job.status === "completed") {
    const link = el("a", { className: "button secondary", href: job.download_url }, "Download");
    link.setAttribute("download", "");
    link.dataset.action = "download";
    wrap.append(link);
  }
  if (job.status === "failed") wrap.append(button("Retry", "retry"));
  wrap.append(button("Delete", "delete"));
  return wrap;
}

function row(job) {
  const tr = el("tr");
  tr.dataset.exportId = job.export_id;
  tr.dataset.status = job.status;
  const created = el("time", { dateTime: job.created_at }, fmt.when(job.created_at));
  tr.append(
    cell(created), cell(TYPES[job.export_type] || job.export_type),
    cell(job.format.toUpperCase() + (job.compression ? " · " + job.compression : "")),
  );
  if (withOwner) tr.append(cell(job.username || ""));
  tr.append(cell(statusCell(job)), cell(job.record_count ?? "—", "num"), cell(fmt.bytes(job.file_size), "num"), cell(actions(job)));
  return tr;
}

async function follow(id) {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, attempt < 10 ? 500 : 2000));
    let job;
    try { job = await api(`/api/exports/${id}`); } catch { continue; }
    const old = table.querySelector(`tr[data-export-id="${id}"]`);
    if (!old) return;
    old.replaceWith(row(job));
    if (job.status === "completed") return flash("Your export is ready to download.");
    if (job.status === "failed" || job.status === "expired") return flash(`The export failed: ${job.error || "unknown error"}`, "error");
  }
}

table.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  event.preventDefault(); // the row's no-script form would post it too
  const tr = button.closest("tr");
  const id = tr.dataset.exportId;
  if (button.dataset.action === "delete") {
    if (!confirm("Delete this export and its file?")) return;
    try {
      await api(`/api/exports/${id}`, { method: "DELETE" });
      tr.remove();
      $("#export-empty").hidden = table.rows.length > 0;
      flash("Export deleted.");
    } catch (err) { flash(err.message, "error"); }
  } else if (button.dataset.action === "retry") {
    try {
      const job = await api(`/api/exports/${id}/retry`, { method: "POST" });
      tr.replaceWith(row(job));
      follow(id);
    } catch (err) { flash(err.message, "error"); }
  }
});

$$("tr[data-status=queued], tr[data-status=running]", table).forEach((tr) => follow(tr.dataset.exportId));
