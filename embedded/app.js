// Warehouse summary page: fetches /api/v1/info and the population chart, shows loading and error states.
"use strict";

const fmt = new Intl.NumberFormat("en-US");

function text(id, value) {
  document.getElementById(id).textContent = value;
}

function showError(message) {
  const status = document.getElementById("status");
  status.textContent = message;
  status.classList.add("error");
}

async function fetchOk(url) {
  const response = await fetch(url, { headers: { Accept: "application/json, image/svg+xml" } });
  if (!response.ok) {
    let message = `${url} answered ${response.status}`;
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) message = body.error.message;
    } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function rowsOf(info, name) {
  const table = info.tables.find((t) => t.name === name);
  return table ? table.rows : 0;
}

function renderInfo(info) {
  const g = info.generation;
  text("kpi-customers", fmt.format(g.customers));
  text("kpi-members", fmt.format(rowsOf(info, "insurer.members")));
  text("kpi-survivors", fmt.format(g.survivors));
  text("kpi-observed", g.observationDate);

  const tbody = document.getElementById("tables");
  tbody.replaceChildren(...info.tables.map((t) => {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    const code = document.createElement("code");
    code.textContent = t.name;
    name.append(code);
    const rows = document.createElement("td");
    rows.className = "num";
    rows.textContent = fmt.format(t.rows);
    tr.append(name, rows);
    return tr;
  }));

  const dl = document.getElementById("generation");
  const entries = [
    ["Seed", String(g.seed)],
    ["Customers", fmt.format(g.customers)],
    ["Observation date", g.observationDate],
    ["Generator", `v${g.generatorVersion} (schema v${g.schemaVersion})`],
    ["Fingerprint", info.fingerprint],
  ];
  dl.replaceChildren(...entries.flatMap(([k, v]) => {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    if (k === "Fingerprint") {
      const code = document.createElement("code");
      code.textContent = v;
      dd.append(code);
    } else {
      dd.textContent = v;
    }
    return [dt, dd];
  }));
}

async function load() {
  const status = document.getElementById("status");
  const chart = document.getElementById("chart");
  try {
    const [info, svg, regions] = await Promise.all([
      fetchOk("/api/v1/info").then((r) => r.json()),
      fetchOk("/api/v1/charts/population-by-region.svg").then((r) => r.text()),
      fetchOk("/api/v1/population/regions").then((r) => r.json()),
    ]);
    renderInfo(info);
    text("k", String(regions.k));
    const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
    chart.replaceChildren(document.importNode(doc.documentElement, true));
    chart.setAttribute("aria-busy", "false");
    status.textContent = `Seed ${info.generation.seed} · fingerprint ${info.fingerprint.slice(0, 12)}…`;
  } catch (error) {
    chart.setAttribute("aria-busy", "false");
    showError(`Could not load the warehouse summary: ${error.message}. Is the server still running?`);
  }
}

document.addEventListener("DOMContentLoaded", load);
