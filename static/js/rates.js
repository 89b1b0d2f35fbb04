// Rates: show the plan; editors change it (the API validates and names the bad field).
import { api, $, $$, say, showError, busy } from "./api.js";

const form = $("#rates-form");
const message = $("#rates-message");
const fallback = $("#rates-fallback");
const rows = $("#tou-rows");
const f = form.elements;

function showType() {
  $$("[data-type]", form).forEach((el) => { el.hidden = el.dataset.type !== f.rate_type.value; });
}

function addPeriod(period = {}) {
  const row = $("#tou-row").content.firstElementChild.cloneNode(true);
  for (const name of ["label", "start_hour", "end_hour", "rate"]) {
    if (period[name] != null) row.querySelector(`[name=${name}]`).value = period[name];
  }
  rows.append(row);
}

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const clock = (hour) => (typeof hour === "number" ? `${String(hour).padStart(2, "0")}:00` : hour);

// Say which hours no period covers, and the price they get (the API's uncovered_hours).
function showFallback(plan) {
  const gaps = plan.uncovered_hours || [];
  fallback.hidden = !gaps.length;
  if (!gaps.length) return;
  const source = plan.default_rate == null ? "the first period's price" : "the price for other hours";
  const hours = gaps.map((g) => {
    const days = g.days_of_week.length === 7 ? "every day" : `on ${g.days_of_week.map((d) => DAYS[d]).join(", ")}`;
    return `${clock(g.start_hour)}–${clock(g.end_hour)} ${days}`;
  });
  fallback.textContent = `Hours no period covers are priced at ${gaps[0].rate} per kWh (${source}): ${hours.join("; ")}.`;
}

function fill(plan) {
  const type = ["simple", "tiered", "time_of_use"].includes(plan.rate_type) ? plan.rate_type : "simple";
  f.rate_type.value = type;
  f.currency.value = plan.currency || "USD";
  if (plan.monthly_service_charge != null) f.monthly_service_charge.value = plan.monthly_service_charge;
  const s = plan.rate_structure || {};
  for (const name of ["rate_per_kwh", "tier1_limit", "tier1_rate", "tier2_limit", "tier2_rate", "tier3_rate"]) {
    if (s[name] != null) f[name].value = s[name];
  }
  f.default_rate.value = plan.default_rate ?? "";
  showFallback(plan);
  rows.replaceChildren();
  (plan.time_of_use_rates || []).forEach(addPeriod);
  if (!rows.children.length) addPeriod();
  if (!["simple", "tiered", "time_of_use"].includes(plan.rate_type) && plan.rate_type) {
    say(message, `This plan is of type "${plan.rate_type}", which this page can't edit in full; saving here replaces it.`, "warn");
  }
  showType();
}

const num = (v) => (v === "" || v == null ? undefined : Number(v));

function plan() {
  const body = { rate_type: f.rate_type.value, currency: f.currency.value.trim().toUpperCase(), rate_structure: {} };
  if (f.monthly_service_charge.value) body.monthly_service_charge = num(f.monthly_service_charge.value);
  if (body.rate_type === "simple") body.rate_structure.rate_per_kwh = num(f.rate_per_kwh.value);
  if (body.rate_type === "tiered") {
    for (const name of ["tier1_limit", "tier1_rate", "tier2_limit", "tier2_rate", "tier3_rate"]) {
      const value = num(f[name].value);
      if (value !== undefined) body.rate_structure[name] = value;
    }
  }
  if (body.rate_type === "time_of_use") {
    body.time_of_use_rates = $$(".tou-row", rows).map((row) => ({
      label: row.querySelector("[name=label]").value,
      start_hour: num(row.querySelector("[name=start_hour]").value),
      end_hour: num(row.querySelector("[name=end_hour]").value),
      rate: num(row.querySelector("[name=rate]").value),
    }));
    const other = num(f.default_rate.value);
    if (other !== undefined) body.default_rate = other;
  }
  return body;
}

f.rate_type.addEventListener("change", showType);
rows.addEventListener("click", (event) => {
  if (event.target.dataset.action === "remove-period") event.target.closest(".tou-row").remove();
});
$("[data-action=add-period]")?.addEventListener("click", () => addPeriod());

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      const saved = await api("/api/rates", { method: "POST", body: plan() });
      fill(saved.rate_type ? saved : plan());
      say(message, "Saved. Costs from now on use this plan.", "success");
    } catch (err) {
      showError(form, err, message);
    }
  });
});

(async () => {
  try {
    fill(await api("/api/rates"));
  } catch (err) {
    if (err.status === 404) {
      fill({});
      say(message, "No rate plan yet: costs can't be shown until one is saved.", "warn");
    } else {
      say(message, err.message, "error");
    }
  }
})();
