// The usage page: a stacked bar chart of cost per day and group, drawn as SVG from
// /api/usage/daily (no chart library), the token table, and the budget caps form.
import { api } from "./app.js";

const SVG = "http://www.w3.org/2000/svg";
const PALETTE = [
  "#2563eb",
  "#16a34a",
  "#d97706",
  "#db2777",
  "#7c3aed",
  "#0891b2",
  "#65a30d",
  "#dc2626",
];
const $ = (id) => document.getElementById(id);
/** Chart labels, in CSS pixels: the drawing is not scaled. */
const FONT_PX = 12;
const usd = (value) => "$" + (value < 1 ? value.toFixed(4) : value.toFixed(2));

function svg(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function drawChart(days, capUsd) {
  const folders = [...new Set(days.flatMap((day) => day.groups.map((g) => g.folder)))];
  const color = (folder) => PALETTE[folders.indexOf(folder) % PALETTE.length];
  // Drawn at the width it is shown at, so the labels keep their size on a phone (a fixed
  // 720-wide drawing scaled down to 300 px made 11 px text 5 px high).
  const width = Math.max(280, Math.round($("usage-chart").clientWidth) || 720);
  const height = width < 480 ? 220 : 260;
  const left = 56;
  const bottom = 28;
  const top = 12;
  const plotHeight = height - top - bottom;
  const max = Math.max(capUsd || 0, ...days.map((day) => day.totalUsd), 0.0001);
  const y = (value) => top + plotHeight - (value / max) * plotHeight;
  const slot = (width - left - 8) / Math.max(days.length, 1);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const total = days.reduce((sum, day) => sum + day.totalUsd, 0);
  chart.appendChild(svg("title", {}, `Cost per day: ${usd(total)} over ${days.length} days`));
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    chart.appendChild(
      svg("line", {
        x1: left,
        x2: width - 8,
        y1: y(value),
        y2: y(value),
        stroke: "currentColor",
        "stroke-opacity": 0.2,
      }),
    );
    chart.appendChild(
      svg(
        "text",
        {
          x: left - 6,
          y: y(value) + 4,
          "text-anchor": "end",
          "font-size": FONT_PX,
          fill: "currentColor",
        },
        usd(value),
      ),
    );
  }
  days.forEach((day, index) => {
    let base = 0;
    const x = left + index * slot + slot * 0.15;
    for (const group of day.groups) {
      if (group.costUsd <= 0) continue;
      const rect = svg("rect", {
        class: "bar",
        x,
        width: slot * 0.7,
        y: y(base + group.costUsd),
        height: Math.max(1, y(base) - y(base + group.costUsd)),
        fill: color(group.folder),
      });
      rect.appendChild(svg("title", {}, `${day.day} · ${group.name}: ${usd(group.costUsd)}`));
      chart.appendChild(rect);
      base += group.costUsd;
    }
    // As many day labels as fit side by side (about 48 px each), counted back from the last
    // day so that it always has one and none overlaps it.
    const labels = Math.max(2, Math.floor((width - left) / 48));
    if ((days.length - 1 - index) % Math.ceil(days.length / labels) === 0) {
      chart.appendChild(
        svg(
          "text",
          {
            x: x + slot * 0.35,
            y: height - 8,
            "text-anchor": "middle",
            "font-size": FONT_PX,
            fill: "currentColor",
          },
          day.day.slice(5),
        ),
      );
    }
  });
  if (capUsd) {
    chart.appendChild(
      svg("line", {
        x1: left,
        x2: width - 8,
        y1: y(capUsd),
        y2: y(capUsd),
        stroke: "#dc2626",
        "stroke-dasharray": "6 4",
      }),
    );
    chart.appendChild(
      svg(
        "text",
        {
          x: width - 10,
          y: y(capUsd) - 4,
          "text-anchor": "end",
          "font-size": FONT_PX,
          fill: "#dc2626",
        },
        "cap " + usd(capUsd),
      ),
    );
  }
  $("usage-chart").replaceChildren(chart);
  $("usage-legend").replaceChildren(
    ...folders.map((folder) => {
      const item = document.createElement("span");
      item.style.setProperty("--swatch", color(folder));
      item.textContent = folder;
      return item;
    }),
  );
}

/** One table row of plain text cells (numbers with thousands separators). */
function textRow(values) {
  const row = document.createElement("tr");
  for (const value of values) {
    const cell = document.createElement("td");
    cell.textContent = typeof value === "number" ? value.toLocaleString("en") : value;
    row.appendChild(cell);
  }
  return row;
}

/** The row a table of seven columns shows when there was nothing to count. */
function noCallsRow() {
  const row = textRow(["No model calls in these days."]);
  row.cells[0].colSpan = 7;
  row.cells[0].className = "hint";
  return row;
}

function fillTable(days) {
  const rows = [];
  for (const day of [...days].reverse()) {
    for (const group of day.groups) {
      rows.push(
        textRow([
          day.day,
          group.name,
          group.inputTokens,
          group.outputTokens,
          group.cacheReadTokens,
          group.cacheWriteTokens,
          usd(group.costUsd),
        ]),
      );
    }
  }
  if (rows.length === 0) rows.push(noCallsRow());
  $("usage-table").tBodies[0].replaceChildren(...rows);
  showScrollHint();
}

/** On a narrow screen the token table scrolls sideways; the hint says so. */
function showScrollHint() {
  const wrap = $("usage-table").parentElement;
  $("tokens-scroll-hint").hidden = wrap.scrollWidth <= wrap.clientWidth;
}

let shown;

function fillModels(models) {
  const rows = models.map((m) =>
    textRow([
      m.model,
      m.requests,
      m.inputTokens,
      m.outputTokens,
      m.cacheReadTokens,
      m.cacheWriteTokens,
      usd(m.costUsd),
    ]),
  );
  if (rows.length === 0) rows.push(noCallsRow());
  $("models-table").tBodies[0].replaceChildren(...rows);
}

async function loadUsage() {
  const { ok, data } = await api("/api/usage/daily?days=14");
  if (!ok) {
    $("page-error").textContent = (data && data.error) || "could not load usage";
    return;
  }
  shown = data;
  drawChart(data.days, data.today.capUsd);
  fillTable(data.days);
  fillModels(data.models);
  $("usage-today").textContent =
    "Today: " +
    usd(data.today.spentUsd) +
    (data.today.capUsd ? " of " + usd(data.today.capUsd) + " cap" : " (no cap)");
}

function capInput(id, label, value) {
  const field = document.createElement("div");
  field.className = "field";
  const labelElement = document.createElement("label");
  labelElement.htmlFor = id;
  labelElement.textContent = label;
  const input = document.createElement("input");
  input.id = id;
  input.type = "number";
  input.min = "0.01";
  input.step = "0.01";
  input.inputMode = "decimal";
  input.value = value === null ? "" : String(value);
  field.append(labelElement, input);
  return field;
}

let groups = [];
async function loadBudget() {
  const { ok, data } = await api("/api/budget");
  if (!ok) return;
  $("budget-daily").value = data.dailyUsd === null ? "" : String(data.dailyUsd);
  $("budget-daily-hint").textContent =
    (data.source === "default" ? "From DAILY_BUDGET_USD. " : "") +
    "Empty: no cap. When a cap is reached, the assistant says so instead of answering until the next day.";
  groups = data.groups;
  const fieldset = $("budget-groups");
  fieldset.replaceChildren(fieldset.querySelector("legend") || document.createElement("legend"));
  for (const group of groups)
    fieldset.appendChild(
      capInput(
        "budget-group-" + group.folder,
        group.name + " (" + group.folder + ")",
        group.dailyUsd,
      ),
    );
}

async function saveBudget(body) {
  const form = $("budget-form");
  form.querySelector(".form-error").textContent = "";
  $("budget-saved").textContent = "";
  const { ok, data } = await api("/api/budget", { method: "PUT", body });
  if (!ok) {
    form.querySelector(".form-error").textContent = (data && data.error) || "saving failed";
    return;
  }
  $("budget-saved").textContent = "Saved.";
  await Promise.all([loadBudget(), loadUsage()]);
}

const amount = (input) => (input.value.trim() === "" ? null : Number(input.value));

$("budget-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const perGroup = {};
  for (const group of groups) perGroup[group.folder] = amount($("budget-group-" + group.folder));
  saveBudget({ dailyUsd: amount($("budget-daily")), groups: perGroup });
});
$("budget-default").addEventListener("click", () => saveBudget({ useDefault: true }));

// A phone turned sideways, a window resized: the chart is redrawn at its new width.
window.addEventListener("resize", () => {
  if (!shown) return;
  drawChart(shown.days, shown.today.capUsd);
  showScrollHint();
});

loadUsage();
loadBudget();
