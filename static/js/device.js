// Device page: history chart with range/interval pickers, live power, on/off switch.
import { api, $, say, fmt } from "./api.js";
import { connectLive, cardsFor, applyUpdate, applyStatus } from "./live.js";
import { bindSwitches } from "./power.js";
import { plot, accent } from "./charts.js";

const form = $("#history-form");
const chart = $("#history-chart");
const message = $("#chart-message");
const card = $(".device-page");
const HOURS = { "1h": 1, "24h": 24, "7d": 168, "30d": 720, "365d": 8760 };
const LABELS = { power_w: "Power (W)", energy_kwh: "Energy (kWh)", cost: "Cost", co2_kg: "CO₂ (kg)" };
let current = { points: [], live: false, metric: "power_w" };

function pickInterval(hours) {
  if (hours <= 48) return "raw";
  if (hours <= 24 * 8) return "1h";
  if (hours <= 24 * 31) return "6h";
  return "1d";
}

function window_() {
  const choice = form.elements.range.value;
  if (choice === "custom") {
    const start = form.elements.start.value ? new Date(form.elements.start.value) : null;
    const end = form.elements.end.value ? new Date(form.elements.end.value) : new Date();
    if (!start || Number.isNaN(start.getTime())) throw new Error("Choose when the custom range starts.");
    if (start >= end) throw new Error("The start must be before the end.");
    return { start, end, live: false };
  }
  const end = new Date();
  return { start: new Date(end - HOURS[choice] * 3600e3), end, live: true };
}

async function load() {
  let range;
  try {
    range = window_();
  } catch (err) {
    return say(message, err.message, "error");
  }
  const hours = (range.end - range.start) / 3600e3;
  const wanted = form.elements.interval.value;
  const interval = wanted === "auto" ? pickInterval(hours) : wanted;
  const query = new URLSearchParams({ start_time: range.start.toISOString(), end_time: range.end.toISOString(), interval });
  say(message, "Loading…");
  try {
    const points = await api(`/api/device/${chart.dataset.key}/history?${query}`);
    current = { points, live: range.live && interval === "raw", metric: form.elements.metric.value, interval };
    say(message, points.length ? "" : "No readings in this range yet. Readings appear after the device has been polled.");
    draw(range);
    fillTable(points);
  } catch (err) {
    say(message, err.message, "error");
  }
}

function draw(range) {
  const { points, metric, interval } = current;
  const x = points.map((p) => p.timestamp);
  const y = points.map((p) => p[metric]);
  const bars = metric !== "power_w" && interval !== "raw";
  const trace = bars
    ? { type: "bar", x, y, name: LABELS[metric], marker: { color: accent() } }
    : { type: "scatter", mode: points.length < 50 ? "lines+markers" : "lines", x, y, name: LABELS[metric], line: { color: accent(), width: 2 }, fill: "tozeroy" };
  plot(chart, [trace], {
    xaxis: { type: "date", range: [range.start.toISOString(), range.end.toISOString()] },
    yaxis: { title: { text: LABELS[metric] }, rangemode: "tozero" },
    showlegend: false,
  });
}

function fillTable(points) {
  const body = $("#history-table tbody");
  const rows = points.slice(-500).reverse().map((p) => {
    const row = document.createElement("tr");
    const cells = [fmt.when(p.timestamp), fmt.watts(p.power_w), fmt.kwh(p.energy_kwh), fmt.money(p.cost),
      p.co2_kg == null ? "—" : Number(p.co2_kg).toFixed(3)];
    cells.forEach((text, i) => {
      const cell = document.createElement("td");
      cell.textContent = text;
      if (i) cell.className = "num";
      row.append(cell);
    });
    return row;
  });
  body.replaceChildren(...rows);
}

form.elements.range.addEventListener("change", () => {
  const custom = form.elements.range.value === "custom";
  form.querySelectorAll("[data-custom]").forEach((el) => { el.hidden = !custom; });
  if (!custom) load();
});
form.elements.interval.addEventListener("change", load);
form.elements.metric.addEventListener("change", load);
form.addEventListener("submit", (event) => { event.preventDefault(); load(); });

connectLive({
  onState() {},
  onUpdate(message_) {
    if (!cardsFor(message_).includes(card)) return;
    applyUpdate(card, message_.data);
    if (current.live && current.metric === "power_w" && window.Plotly && chart.data) {
      window.Plotly.extendTraces(chart, { x: [[message_.data.timestamp]], y: [[message_.data.current_power_w]] }, [0]);
      const shown = chart.layout.xaxis.range;
      if (shown && new Date(shown[1]) < new Date(message_.data.timestamp)) {
        window.Plotly.relayout(chart, { "xaxis.range[1]": message_.data.timestamp });
      }
    }
  },
  onStatus(message_) {
    if (cardsFor(message_).includes(card)) applyStatus(card, message_.status);
  },
});
bindSwitches(card);
load();
