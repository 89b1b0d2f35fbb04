// Costs: period picker, totals, daily and per-device charts, per-device table.
import { api, $, $$, say, fmt } from "./api.js";
import { plot } from "./charts.js";
import { drawBill } from "./insights.js";

const form = $("#period-form");
const message = $("#costs-message");
const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

function period() {
  const today = new Date();
  const day = (y, m, d) => new Date(y, m, d);
  const [y, m, d] = [today.getFullYear(), today.getMonth(), today.getDate()];
  switch (form.elements.period.value) {
    case "last_month": return [day(y, m - 1, 1), day(y, m, 0)];
    case "last_7_days": return [day(y, m, d - 6), today];
    case "last_30_days": return [day(y, m, d - 29), today];
    case "this_year": return [day(y, 0, 1), today];
    case "custom": {
      const { start_date: s, end_date: e } = form.elements;
      if (!s.value || !e.value) throw new Error("Choose the first and the last day.");
      if (s.value > e.value) throw new Error("The first day must come before the last day.");
      return [new Date(s.value + "T00:00"), new Date(e.value + "T00:00")];
    }
    default: return [day(y, m, 1), today];
  }
}

function money(value, currency) {
  if (value == null) return "—";
  try {
    return Number(value).toLocaleString(undefined, { style: "currency", currency: currency || "USD" });
  } catch {
    return fmt.money(value);
  }
}

async function load({ first = false } = {}) {
  let range;
  try { range = period(); } catch (err) { return say(message, err.message, "error"); }
  say(message, "Loading…");
  try {
    const [report] = await Promise.all([
      api(`/api/costs?start_date=${iso(range[0])}&end_date=${iso(range[1])}`),
      first ? null : loadChanges(), // the page came with the card for its period
    ]);
    say(message, "");
    render(report);
  } catch (err) {
    say(message, err.message, "error");
  }
}

// "What changed" follows the period: the server renders the card for it (as without
// scripts, ?period=...) and it replaces the one in the page.
async function loadChanges() {
  const card = $("#changes");
  if (!card) return;
  const { period: p, start_date: s, end_date: e } = form.elements;
  const query = new URLSearchParams({ period: p.value, start_date: s.value, end_date: e.value, part: "changes" });
  const answer = await fetch(`${location.pathname}?${query}`, { credentials: "same-origin" });
  if (!answer.ok) throw new Error("What changed could not be loaded for this period.");
  const found = new DOMParser().parseFromString(await answer.text(), "text/html").getElementById("changes");
  if (found) card.replaceWith(document.adoptNode(found));
}

function render(report) {
  const currency = report.currency;
  $("[data-field=total_cost]").textContent = money(report.total_cost, currency);
  $("[data-field=total_kwh]").textContent = fmt.kwh(report.total_kwh);
  $("[data-field=average_daily_cost]").textContent = money(report.average_daily_cost, currency);
  $("[data-field=co2_kg]").textContent = Number(report.co2_kg || 0).toFixed(1);
  const devices = report.devices || [];
  const days = report.daily_breakdown || [];
  $("#costs-empty").hidden = devices.some((d) => Number(d.total_kwh) > 0);
  plot($("#daily-chart"), [{
    type: "bar", x: days.map((d) => d.date), y: days.map((d) => d.cost), name: "Cost",
    customdata: days.map((d) => d.kwh), hovertemplate: "%{y:.2f} " + (currency || "") + " · %{customdata:.3f} kWh<extra></extra>",
  }, {
    type: "scatter", mode: "lines+markers", x: days.map((d) => d.date), y: days.map((d) => d.co2_kg), name: "kg CO₂",
    yaxis: "y2", hovertemplate: "%{y:.3f} kg CO₂<extra></extra>",
  }], {
    xaxis: { type: "date" }, yaxis: { title: { text: currency || "Cost" } },
    yaxis2: { title: { text: "kg CO₂" }, overlaying: "y", side: "right", rangemode: "tozero" }, showlegend: false,
  });
  const split = $("#device-chart");
  if (!devices.some((d) => Number(d.total_cost) > 0)) {
    if (window.Plotly) window.Plotly.purge(split);
    split.textContent = "Nothing to split yet: no device has a cost in this period.";
    split.classList.add("muted");
  } else {
    if (!split.classList.contains("js-plotly-plot")) split.textContent = "";
    split.classList.remove("muted");
    plot(split, [{
    type: "pie", hole: 0.45, labels: devices.map((d) => d.device_name || d.device_ip), values: devices.map((d) => d.total_cost),
    textinfo: "percent", hovertemplate: "%{label}: %{value:.2f}<extra></extra>",
  }], { showlegend: true });
  }
  $("#cost-table tbody").replaceChildren(...devices.map((d) => {
    const row = document.createElement("tr");
    [d.device_name || d.device_ip, fmt.kwh(d.total_kwh), money(d.total_cost, currency), Number(d.co2_kg || 0).toFixed(3), `${Number(d.percentage || 0).toFixed(1)} %`].forEach((text, i) => {
      const cell = document.createElement(i ? "td" : "th");
      if (!i) cell.scope = "row";
      if (i) cell.className = "num";
      cell.textContent = text;
      row.append(cell);
    });
    return row;
  }));
}

form.elements.period.addEventListener("change", () => {
  const custom = form.elements.period.value === "custom";
  $$("[data-custom]", form).forEach((el) => { el.hidden = !custom; });
  if (!custom) load();
});
form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
drawBill();
load({ first: true });
