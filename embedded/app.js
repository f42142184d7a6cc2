// The dashboard: token sign-in, then the warehouse summary. Every API call carries the bearer token; a 401
// sends the user back to sign-in. The token lives in sessionStorage only (gone when the tab closes).
"use strict";

const fmt = new Intl.NumberFormat("en-US");
const TOKEN_KEY = "safehaven.token";

class Unauthenticated extends Error {}

function $(id) {
  return document.getElementById(id);
}

function text(id, value) {
  $(id).textContent = value;
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(url, accept = "application/json") {
  const response = await fetch(url, { headers: { Accept: accept, Authorization: `Bearer ${token()}` } });
  if (response.status === 401) throw new Unauthenticated();
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

function showLogin(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  $("app").hidden = true;
  $("who").hidden = true;
  $("login").hidden = false;
  const error = $("login-error");
  error.hidden = !message;
  error.textContent = message || "";
  $("token").value = "";
  $("token").focus();
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

  $("tables").replaceChildren(...info.tables.map((t) => {
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

  const entries = [
    ["Seed", String(g.seed)],
    ["Customers", fmt.format(g.customers)],
    ["Observation date", g.observationDate],
    ["Generator", `v${g.generatorVersion} (schema v${g.schemaVersion})`],
    ["Fingerprint", info.fingerprint],
  ];
  $("generation").replaceChildren(...entries.flatMap(([k, v]) => {
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

async function downloadChart() {
  try {
    const svg = await (await api("/api/v1/charts/population-by-region.svg", "image/svg+xml")).blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(svg);
    link.download = "population-by-region.svg";
    link.click();
    URL.revokeObjectURL(link.href);
  } catch (error) {
    handle(error);
  }
}

function handle(error) {
  if (error instanceof Unauthenticated) {
    showLogin("Your session has ended or the token is no longer valid: sign in again.");
    return;
  }
  const status = $("status");
  status.textContent = `Could not load the warehouse summary: ${error.message}. Is the server still running?`;
  status.classList.add("error");
  $("chart").setAttribute("aria-busy", "false");
}

async function loadSummary(me) {
  const status = $("status");
  const chart = $("chart");
  status.classList.remove("error");
  const mayAggregate = me.permissions.includes("aggregates");
  for (const el of document.querySelectorAll(".cards, .panel, .columns")) el.hidden = !mayAggregate;
  $("no-views").hidden = mayAggregate;
  if (!mayAggregate) {
    status.textContent = "";
    text("no-views", `Signed in as ${me.role}: this role does not see population figures.`);
    return;
  }
  status.textContent = "Loading the warehouse summary…";
  const [info, svg, regions] = await Promise.all([
    api("/api/v1/info").then((r) => r.json()),
    api("/api/v1/charts/population-by-region.svg", "image/svg+xml").then((r) => r.text()),
    api("/api/v1/population/regions").then((r) => r.json()),
  ]);
  renderInfo(info);
  text("k", String(regions.k));
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  chart.replaceChildren(document.importNode(doc.documentElement, true));
  chart.setAttribute("aria-busy", "false");
  status.textContent = `Seed ${info.generation.seed} · fingerprint ${info.fingerprint.slice(0, 12)}…`;
}

async function start() {
  if (!token()) {
    showLogin();
    return;
  }
  try {
    const me = await (await api("/api/v1/me")).json();
    text("who-name", `${me.name} (${me.role})`);
    $("who").hidden = false;
    $("login").hidden = true;
    $("app").hidden = false;
    await loadSummary(me);
  } catch (error) {
    handle(error);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = $("token").value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    const response = await fetch("/api/v1/me", { headers: { Authorization: `Bearer ${value}` } });
    if (!response.ok) {
      showLogin("That token was not accepted. Check it, or ask an admin for a new one.");
      return;
    }
    start();
  });
  $("sign-out").addEventListener("click", () => showLogin());
  $("download-chart").addEventListener("click", downloadChart);
  start();
});
