// The dashboard: token sign-in, then views routed by the URL fragment (#/view?state), so a view can be shared.
// Every API call carries the bearer token; a 401 sends the user back to sign-in. The token lives in
// sessionStorage only (gone when the tab closes). Text is always set with textContent, never parsed as HTML.
"use strict";

const TOKEN_KEY = "safehaven.token";
const fmt = new Intl.NumberFormat("en-US");
const pct = (v, digits = 1) => (v == null ? "suppressed" : `${(100 * v).toFixed(digits)} %`);
const num = (v) => (v == null ? "suppressed" : fmt.format(Math.round(v)));
const money = (v) => (v == null ? "suppressed" : `$${fmt.format(Math.round(v))}`);
const signed = (v, f) => (v == null ? "–" : `${v >= 0 ? "+" : "−"}${f(Math.abs(v))}`);

class Unauthenticated extends Error {}

let me = null;

function $(id) {
  return document.getElementById(id);
}

// h("div", {class: "x"}, child, "text", …): builds an element; attributes starting with "on" are listeners.
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c == null) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(url, options = {}) {
  const headers = { Accept: options.accept || "application/json", Authorization: `Bearer ${token()}` };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (response.status === 401) throw new Unauthenticated();
  if (!response.ok) {
    let message = `${url} answered ${response.status}`;
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) message = body.error.message;
    } catch (_) { /* not JSON */ }
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return options.accept && options.accept.includes("svg") ? response.text() : response.json();
}

function status(message, isError = false) {
  const el = $("status");
  el.textContent = message || "";
  el.classList.toggle("error", isError);
}

function showLogin(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
  $("app").hidden = true;
  $("who").hidden = true;
  $("nav").hidden = true;
  $("login").hidden = false;
  const error = $("login-error");
  error.hidden = !message;
  error.textContent = message || "";
  $("token").value = "";
  $("token").focus();
}

function fail(error) {
  if (error instanceof Unauthenticated) {
    showLogin("Your session has ended or the token is no longer valid: sign in again.");
    return;
  }
  status(`${error.message}`, true);
}

// --- routing: #/name/arg?key=value ------------------------------------------------------------------------

function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = hash.split("?");
  const [name, arg] = path.split("/");
  return { name: name || "", arg: arg ? decodeURIComponent(arg) : null, params: new URLSearchParams(query) };
}

function go(name, params = {}, arg = null, replace = false) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null)).toString();
  const hash = `#/${name}${arg ? `/${encodeURIComponent(arg)}` : ""}${query ? `?${query}` : ""}`;
  if (replace) history.replaceState(null, "", hash);
  else location.hash = hash;
}

const VIEWS = {
  executive: { title: "Executive", permission: "aggregates", render: executive },
  cases: { title: "Cases", permission: "caseList", render: cases },
  case: { title: "Case", permission: "caseDetail", render: caseView, hidden: true },
  model: { title: "Model", permission: "model", render: model },
  dv: { title: "DV service", permission: "dvService", render: dvService },
  scenarios: { title: "Scenarios", permission: "drills", render: scenarios },
  drill: { title: "Drill", permission: "participate", render: drillView },
  summary: { title: "Warehouse", permission: "aggregates", render: summary },
};

function allowed(name) {
  return me && me.permissions.includes(VIEWS[name].permission);
}

function buildNav(current) {
  const nav = $("nav");
  nav.replaceChildren(
    ...Object.entries(VIEWS)
      .filter(([name, v]) => !v.hidden && allowed(name))
      .map(([name, v]) => h("a", { href: `#/${name}`, "aria-current": name === current ? "page" : null }, v.title)),
  );
  nav.hidden = false;
}

let renderSeq = 0;
// A message to show once the next view has rendered (for example, why a view was not opened).
let notice = "";

async function render() {
  if (!me) return;
  let { name, arg, params } = route();
  if (!VIEWS[name] || !allowed(name)) {
    const first = Object.keys(VIEWS).find((n) => !VIEWS[n].hidden && allowed(n));
    if (!first) {
      buildNav("");
      $("view").replaceChildren(h("p", { class: "status" }, `Signed in as ${me.role}: this role has no dashboard views.`));
      return;
    }
    if (name && VIEWS[name]) notice = `The ${me.role} role may not open the ${VIEWS[name].title} view.`;
    go(first, {}, null, true);
    name = first;
    arg = null;
    params = new URLSearchParams();
  }
  // Leaving (or re-rendering) a view ends its live stream.
  if (liveStream) {
    liveStream.abort();
    liveStream = null;
  }
  buildNav(name === "case" ? "cases" : name);
  document.title = `SafeHaven — ${VIEWS[name].title}`;
  const seq = ++renderSeq;
  const view = $("view");
  view.setAttribute("aria-busy", "true");
  status(`Loading ${VIEWS[name].title.toLowerCase()}…`);
  try {
    const content = await VIEWS[name].render(params, arg, () => seq === renderSeq);
    if (seq !== renderSeq) return;
    view.replaceChildren(content);
    // Time from navigation to a rendered view, for load measurements (performance.getEntriesByName).
    performance.mark(`view-rendered:${name}`);
    status(notice, Boolean(notice));
    notice = "";
  } catch (error) {
    if (seq !== renderSeq) return;
    if (error.status === 503) setTimeout(() => seq === renderSeq && render(), 2000);
    fail(error);
  } finally {
    view.setAttribute("aria-busy", "false");
  }
}

// --- shared pieces --------------------------------------------------------------------------------------------

function inlineSvg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  return document.importNode(doc.documentElement, true);
}

function download(blob, name) {
  const link = h("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function savePng(svgText, name) {
  const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
  const svg = doc.documentElement;
  const width = Number(svg.getAttribute("width")) || 960;
  const height = Number(svg.getAttribute("height")) || 480;
  const ink = getComputedStyle(document.body).color;
  const back = getComputedStyle(document.body).backgroundColor;
  svg.setAttribute("color", ink);
  const image = new Image();
  image.onload = () => {
    const canvas = h("canvas", { width: width * 2, height: height * 2 });
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = back;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    canvas.toBlob((blob) => download(blob, name.replace(/\.svg$/, ".png")), "image/png");
  };
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(svg))}`;
}

// A panel with a server-rendered chart and SVG/PNG downloads.
async function chartPanel(title, url, file, hint) {
  const text = await api(url, { accept: "image/svg+xml" });
  return h(
    "section",
    { class: "panel", "aria-label": title },
    h(
      "div",
      { class: "panel-head" },
      h("h2", {}, title),
      h(
        "div",
        { class: "chart-actions" },
        h("button", { type: "button", class: "button", onclick: () => download(new Blob([text], { type: "image/svg+xml" }), file) }, "SVG"),
        h("button", { type: "button", class: "button", onclick: () => savePng(text, file) }, "PNG"),
      ),
    ),
    hint ? h("p", { class: "hint" }, hint) : null,
    h("div", { class: "chart" }, inlineSvg(text)),
  );
}

// Export buttons for a table view: the download carries the token, so it goes through fetch.
function exportButtons(label, base, query) {
  const fetchFile = async (format) => {
    try {
      const response = await fetch(`${base}${format}${query ? `?${query}` : ""}`, { headers: { Authorization: `Bearer ${token()}` } });
      if (response.status === 401) throw new Unauthenticated();
      if (!response.ok) throw new Error(`export answered ${response.status}`);
      const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
      download(await response.blob(), name ? name[1] : `export.${format}`);
    } catch (error) {
      fail(error);
    }
  };
  return h("span", { class: "chart-actions" }, `${label}: `, h("button", { type: "button", class: "button", onclick: () => fetchFile("csv") }, "CSV"), h("button", { type: "button", class: "button", onclick: () => fetchFile("parquet") }, "Parquet"));
}

function card(label, value, extra, id) {
  return h("div", { class: "card", id }, h("span", { class: "label" }, label), h("span", { class: `value${value === "suppressed" ? " suppressed" : ""}` }, value), extra);
}

function select(label, name, options, value, onchange) {
  return h(
    "label",
    {},
    label,
    h("select", { name, onchange }, h("option", { value: "" }, "all"), ...options.map((o) => h("option", { value: o, selected: o === value }, o.replace(/_/g, " ")))),
  );
}

function table(caption, headers, rows) {
  return h(
    "table",
    {},
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, ...headers.map((x) => h("th", { scope: "col", class: x.num ? "num" : null }, x.label || x)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c, i) => h("td", { class: headers[i].num ? "num" : null }, c))))),
  );
}

const REGIONS = ["AK","AL","AR","AZ","CA","CO","CT","DC","DE","FL","GA","HI","IA","ID","IL","IN","KS","KY","LA","MA","MD","ME","MI","MN","MO","MS","MT","NC","ND","NE","NH","NJ","NM","NV","NY","OH","OK","OR","PA","RI","SC","SD","TN","TX","UT","VA","VT","WA","WI","WV","WY"];
const CREDIT = ["deep_subprime", "subprime", "near_prime", "prime", "super_prime"];
const AGES = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"];
const INDICATORS = ["unemployed", "missed_payments", "overdrafts", "uninsured", "high_medical_cost", "out_of_pocket_burden"];

function filterParams(params) {
  const out = {};
  for (const k of ["region", "creditGroup", "ageBand"]) if (params.get(k)) out[k] = params.get(k);
  return out;
}

// --- executive ----------------------------------------------------------------------------------------------

async function executive(params) {
  const state = { threshold: params.get("threshold") || "", ...filterParams(params) };
  const query = new URLSearchParams(Object.entries(state).filter(([, v]) => v)).toString();
  const [view, map, bubbles, trends] = await Promise.all([
    api(`/api/v1/executive?${query}`),
    chartPanel("Medical exposure by region", `/api/v1/charts/exposure-map.svg?${query}`, "exposure-map.svg", "Medical cost per person over the last 12 months; suppressed regions are grey."),
    chartPanel("Risk against volume by credit group", `/api/v1/charts/credit-groups.svg?${query}`, "credit-groups.svg", "Circle area is the group's medical exposure."),
    chartPanel("Monthly trends", `/api/v1/charts/trends.svg?${query}`, "trends.svg", "People per month with each kind of event; gaps are suppressed months."),
  ]);
  const threshold = view.threshold;
  const update = (changes) => go("executive", { ...state, threshold, ...changes }, null, true);
  const k = view.kpis;
  const delta = (kpi, f) => h("span", { class: "delta" }, `3 m ${signed(kpi.change3m, f)} · 12 m ${signed(kpi.change12m, f)}`);
  const slider = h("input", { type: "range", id: "threshold", min: "0.01", max: "0.9", step: "0.01", value: String(threshold), "aria-describedby": "threshold-value" });
  const shown = h("output", { id: "threshold-value", for: "threshold" }, threshold.toFixed(2));
  slider.addEventListener("input", () => (shown.textContent = Number(slider.value).toFixed(2)));
  slider.addEventListener("change", () => update({ threshold: slider.value }));
  return h(
    "div",
    {},
    h("h1", {}, "Executive view"),
    h("p", { class: "hint" }, `Model ${view.modelVersion}. Figures for groups under k = ${view.k} are suppressed, and so is whatever would reveal them.`),
    h(
      "div",
      { class: "controls" },
      h("label", { for: "threshold" }, "High-risk threshold", h("span", {}, slider, " ", shown)),
      select("Region", "region", REGIONS, state.region, (e) => update({ region: e.target.value })),
      select("Credit group", "creditGroup", CREDIT, state.creditGroup, (e) => update({ creditGroup: e.target.value })),
      select("Age band", "ageBand", AGES, state.ageBand, (e) => update({ ageBand: e.target.value })),
    ),
    view.suppressed ? h("p", { class: "status error" }, "This selection has fewer than k people: every figure is withheld.") : null,
    h(
      "section",
      { class: "cards", "aria-label": "Key figures" },
      card("People", num(k.people.value), delta(k.people, num), "kpi-people"),
      card(`High-risk (≥ ${threshold.toFixed(2)})`, num(k.highRiskCount.value), h("span", { class: "delta" }, `${pct(k.highRiskShare.value)} of people · 12 m ${signed(k.highRiskCount.change12m, num)}`), "kpi-high-risk"),
      card("Expected distress (12 m)", num(k.expectedDistress.value), delta(k.expectedDistress, num), "kpi-expected"),
      card("Mean probability", pct(k.meanProbability.value, 2), delta(k.meanProbability, (v) => pct(v, 2)), "kpi-mean"),
      card("Medical exposure (12 m)", money(k.medicalExposure.value), delta(k.medicalExposure, money), "kpi-exposure"),
    ),
    h("p", { class: "controls" }, exportButtons("Regions", "/api/v1/export/executive/regions.", query), exportButtons("Credit groups", "/api/v1/export/executive/credit-groups.", query), exportButtons("Trends", "/api/v1/export/executive/trends.", query)),
    map,
    trends,
    h("div", { class: "grid2" }, bubbles, h("section", { class: "panel" }, h("h2", {}, "Credit groups"), table("Credit groups", ["Group", { label: "People", num: true }, { label: "Mean risk", num: true }, { label: "High-risk", num: true }, { label: "Medical exposure", num: true }], view.creditGroups.map((g) => [g.label.replace(/_/g, " "), g.count == null ? "suppressed" : fmt.format(g.count), g.stats ? pct(g.stats.meanProbability, 2) : "suppressed", g.stats ? pct(g.stats.highRiskShare) : "suppressed", g.stats ? money(g.stats.medicalExposure) : "suppressed"])))),
  );
}

// --- cases --------------------------------------------------------------------------------------------------

async function cases(params) {
  const state = { ...filterParams(params), indicator: params.get("indicator") || "", offset: params.get("offset") || "0" };
  const limit = 25;
  const query = new URLSearchParams(Object.entries({ ...state, limit }).filter(([, v]) => v !== "")).toString();
  const page = await api(`/api/v1/cases?${query}`);
  const update = (changes) => go("cases", { ...state, offset: 0, ...changes });
  const offset = Number(state.offset);
  const canOpen = me.permissions.includes("caseDetail");
  const rows = page.cases.map((c) => [
    canOpen ? h("a", { href: `#/case/${encodeURIComponent(c.maskedId)}` }, h("code", {}, c.maskedId)) : h("code", {}, c.maskedId),
    c.region,
    c.creditGroup.replace(/_/g, " "),
    c.ageBand,
    pct(c.probability),
    String(c.points),
    h("span", {}, c.reasons.join("; ")),
  ]);
  return h(
    "div",
    {},
    h("h1", {}, "Highest-risk cases"),
    h("p", { class: "hint" }, `Masked IDs only; names and contacts stay sealed (revealing one is a command-line act, audited). Model ${page.modelVersion}.`),
    h(
      "div",
      { class: "controls" },
      select("Region", "region", REGIONS, state.region, (e) => update({ region: e.target.value })),
      select("Credit group", "creditGroup", CREDIT, state.creditGroup, (e) => update({ creditGroup: e.target.value })),
      select("Age band", "ageBand", AGES, state.ageBand, (e) => update({ ageBand: e.target.value })),
      select("Indicator", "indicator", INDICATORS, state.indicator, (e) => update({ indicator: e.target.value })),
    ),
    h("p", { class: "controls" }, exportButtons("This page", "/api/v1/export/cases/", query.replace(/(^|&)limit=\d+/, "$1limit=25"))),
    table("Cases, highest probability first", ["Masked ID", "Region", "Credit group", "Age", { label: "Probability", num: true }, { label: "Points", num: true }, "Top reasons"], rows),
    h(
      "div",
      { class: "pager" },
      h("button", { type: "button", class: "button", disabled: offset === 0, onclick: () => go("cases", { ...state, offset: Math.max(0, offset - limit) }) }, "Previous"),
      h("span", { id: "page-info" }, page.total ? `${fmt.format(offset + 1)}–${fmt.format(offset + page.cases.length)} of ${fmt.format(page.total)}` : "No cases match."),
      h("button", { type: "button", class: "button", disabled: offset + limit >= page.total, onclick: () => go("cases", { ...state, offset: offset + limit }) }, "Next"),
    ),
  );
}

// --- case page with what-if ---------------------------------------------------------------------------------

const LABELS = {
  income: ["Income", money], debt: ["Debt", money], credit_score: ["Credit score", num], loan_amount: ["Loan", money],
  missed_payments_12m: ["Missed payments (12 m)", num], overdrafts_12m: ["Overdrafts (12 m)", num],
  chronic_conditions: ["Chronic conditions", num], claims_12m: ["Claims (12 m)", num], denied_claims_12m: ["Denied claims (12 m)", num],
  medical_cost_12m: ["Medical costs (12 m)", money], out_of_pocket_12m: ["Out of pocket (12 m)", money],
};

async function caseView(params, maskedId) {
  const c = await api(`/api/v1/cases/${encodeURIComponent(maskedId)}`);
  const shock = {
    medicalCostPct: Number(params.get("medicalCostPct") || 0),
    incomePct: Number(params.get("incomePct") || 0),
    unemployed: params.get("unemployed") === "1",
  };
  const indicatorRows = (list) => list.map((i) => [LABELS[i.name] ? LABELS[i.name][0] : i.name, LABELS[i.name] ? LABELS[i.name][1](i.value) : String(i.value)]);
  const result = h("p", { class: "big", id: "whatif-probability", "aria-live": "polite" }, pct(c.probability));
  const resultNote = h("p", { class: "hint", id: "whatif-note" }, "Move a slider to rescore this case.");
  const reasons = h("ul", { id: "whatif-reasons" });
  const slider = (id, label, min, max, value) => {
    const input = h("input", { type: "range", id, min, max, step: "5", value: String(value) });
    const out = h("output", { for: id }, `${value > 0 ? "+" : ""}${value} %`);
    input.addEventListener("input", () => (out.textContent = `${Number(input.value) > 0 ? "+" : ""}${input.value} %`));
    input.addEventListener("change", rescore);
    return [h("label", { for: id }, label, h("span", {}, input, " ", out)), input];
  };
  const [medicalLabel, medical] = slider("medical-cost", "Medical costs", -50, 200, shock.medicalCostPct);
  const [incomeLabel, income] = slider("income", "Income", -80, 50, shock.incomePct);
  const jobless = h("input", { type: "checkbox", id: "unemployed", checked: shock.unemployed, onchange: rescore });
  async function rescore() {
    const body = { medicalCostPct: Number(medical.value), incomePct: Number(income.value), unemployed: jobless.checked };
    go("case", { medicalCostPct: body.medicalCostPct || "", incomePct: body.incomePct || "", unemployed: body.unemployed ? 1 : "" }, maskedId, true);
    try {
      const impact = await api(`/api/v1/cases/${encodeURIComponent(maskedId)}/what-if`, { method: "POST", body });
      result.textContent = pct(impact.newProbability);
      result.classList.toggle("up", impact.change > 0);
      resultNote.textContent = `from ${pct(impact.oldProbability)} (${signed(impact.change, (v) => pct(v))})`;
      reasons.replaceChildren(...impact.newReasons.map((r) => h("li", {}, r.text)));
    } catch (error) {
      fail(error);
    }
  }
  const flags = h("ul", { id: "flags" }, ...c.flags.map((f) => h("li", {}, `${f.createdAt} · ${f.actor}: ${f.reason}`)));
  const reason = h("textarea", { id: "flag-reason", name: "reason", required: true, maxlength: "500" });
  const flagForm = h(
    "form",
    {
      class: "inline",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api(`/api/v1/cases/${encodeURIComponent(maskedId)}/flag`, { method: "POST", body: { reason: reason.value } });
          flags.append(h("li", {}, `just now · ${me.name}: ${reason.value}`));
          reason.value = "";
          status("Flagged for review; the act is in the audit log.");
        } catch (error) {
          fail(error);
        }
      },
    },
    h("label", { for: "flag-reason" }, "Why should this case be reviewed?", reason),
    h("button", { type: "submit", class: "button" }, "Flag for review"),
  );
  const content = h(
    "div",
    {},
    h("p", {}, h("a", { href: "#/cases" }, "← Cases")),
    h("h1", {}, "Case ", h("code", {}, c.maskedId)),
    h("p", { class: "hint" }, `${c.regionName} · ${c.ageBand} · ${c.employment.replace(/_/g, " ")} · ${c.creditGroup.replace(/_/g, " ")} · ${c.insurerMember ? "insurer member" : "no insurer records"}`),
    h(
      "section",
      { class: "cards", "aria-label": "Risk" },
      card("Probability of distress (12 m)", pct(c.probability), h("span", { class: "delta" }, `${c.points} points · ${c.highRisk ? "high risk" : "below the threshold"}`), "case-probability"),
      card("3 months ago", c.probability3mAgo == null ? "–" : pct(c.probability3mAgo)),
      card("12 months ago", c.probability12mAgo == null ? "–" : pct(c.probability12mAgo)),
    ),
    h(
      "div",
      { class: "grid3" },
      h("section", { class: "panel" }, h("h2", {}, "Financial stress"), table("Financial indicators", ["Indicator", { label: "Value", num: true }], indicatorRows(c.financial))),
      h("section", { class: "panel" }, h("h2", {}, "Medical stress"), table("Medical indicators", ["Indicator", { label: "Value", num: true }], indicatorRows(c.medical))),
      h(
        "section",
        { class: "panel" },
        h("h2", {}, "Why"),
        h("p", { class: "hint" }, "Each input's pull on the log odds against the average person; positive raises the risk."),
        table("Contributions", ["Input", { label: "Pull", num: true }], c.contributions.map((r) => [r.text, signed(r.contribution, (v) => v.toFixed(2))])),
      ),
    ),
    h(
      "section",
      { class: "panel", "aria-labelledby": "whatif-heading" },
      h("h2", { id: "whatif-heading" }, "What-if stress test"),
      h("div", { class: "controls" }, medicalLabel, incomeLabel, h("label", { for: "unemployed" }, "Loses their job", jobless)),
      result,
      resultNote,
      reasons,
    ),
    h("section", { class: "panel" }, h("h2", {}, "Review"), flags, flagForm),
  );
  if (shock.medicalCostPct || shock.incomePct || shock.unemployed) rescore();
  return content;
}

// --- model page ---------------------------------------------------------------------------------------------

async function model() {
  const [m, roc, ks, calibration] = await Promise.all([
    api("/api/v1/model"),
    chartPanel("ROC", "/api/v1/charts/model/roc.svg", "roc.svg"),
    chartPanel("KS", "/api/v1/charts/model/ks.svg", "ks.svg"),
    chartPanel("Calibration", "/api/v1/charts/model/calibration.svg", "calibration.svg"),
  ]);
  const fairness = (title, f) =>
    h(
      "section",
      { class: "panel" },
      h("h2", {}, title),
      h("p", { class: "hint" }, `AUC gap ${f.auc_gap == null ? "–" : f.auc_gap.toFixed(3)}, flag-rate gap ${f.flag_rate_gap == null ? "–" : pct(f.flag_rate_gap)} at threshold ${m.threshold}.`),
      table(title, ["Group", { label: "People", num: true }, { label: "AUC", num: true }, { label: "Flagged", num: true }, { label: "Observed", num: true }], f.groups.map((g) => [g.group, g.count == null ? "suppressed" : fmt.format(g.count), g.auc == null ? "–" : g.auc.toFixed(3), g.suppressed ? "suppressed" : pct(g.flag_rate), g.suppressed ? "suppressed" : pct(g.observed_rate)])),
    );
  return h(
    "div",
    {},
    h("h1", {}, "Risk model"),
    h("p", { class: "hint" }, `${m.version} · ${m.target} · trained on seed ${m.provenance.seed} (${fmt.format(m.provenance.customers)} customers) · ${m.convergence.iterations} Newton iterations, ${m.convergence.converged ? "converged" : "not converged"}`),
    h(
      "section",
      { class: "cards", "aria-label": "Evaluation" },
      card("AUC", m.auc.toFixed(3), h("span", { class: "delta" }, `Bayes ceiling ${m.bayes_auc.toFixed(3)}`), "model-auc"),
      card("Gini", m.gini.toFixed(3)),
      card("KS", m.ks.toFixed(3), h("span", { class: "delta" }, `at p = ${m.ks_threshold.toFixed(3)}`)),
      card("Brier", m.brier.toFixed(4), h("span", { class: "delta" }, `log loss ${m.log_loss.toFixed(4)}`)),
      card("Calibration error", m.ece.toFixed(4)),
    ),
    h("div", { class: "grid3" }, roc, ks, calibration),
    h(
      "div",
      { class: "grid2" },
      h("section", { class: "panel" }, h("h2", {}, "Thresholds"), table("Threshold table", [{ label: "Threshold", num: true }, { label: "Flagged", num: true }, { label: "Precision", num: true }, { label: "Recall", num: true }], m.thresholds.map((t) => [t.threshold.toFixed(2), pct(t.share_flagged), t.precision == null ? "–" : t.precision.toFixed(3), t.recall.toFixed(3)]))),
      h("section", { class: "panel" }, h("h2", {}, "Coefficients"), h("p", { class: "hint" }, "On standardised inputs; the check compares the sign with the generator's."), table("Coefficients", ["Input", { label: "Coefficient", num: true }, "Sign"], m.features.map((f) => [f.name, signed(f.coefficient, (v) => v.toFixed(3)), f.expected_sign == null ? "" : (f.coefficient * f.expected_sign > 0 ? h("span", { class: "ok" }, "as expected") : h("span", { class: "up" }, "against expectation"))]))),
    ),
    h("div", { class: "grid2" }, fairness("Fairness by age band", m.fairness_by_age_band), fairness("Fairness by region", m.fairness_by_region)),
    h("section", { class: "panel" }, h("h2", {}, "Population stability (current vs training)"), h("p", { class: "hint" }, "PSI < 0.10 no significant change, 0.10–0.25 investigate, ≥ 0.25 significant."), table("PSI", ["Input", { label: "PSI", num: true }, "Band"], (m.drift || []).map((d) => [d.name, d.psi.toFixed(4), d.band.replace(/_/g, " ")]))),
  );
}

// --- DV service ---------------------------------------------------------------------------------------------

function levelBadge(level) {
  return h("span", { class: `level ${level}` }, level);
}

async function dvService(params) {
  const [overview, queue] = await Promise.all([api("/api/v1/dv/overview"), api("/api/v1/alerts")]);
  const alerts = queue.alerts;
  const detail = h("div", { id: "assessment" });
  const assess = async (id) => {
    try {
      const a = await api("/api/v1/risk-assessment/create", { method: "POST", body: { userId: id } });
      detail.replaceChildren(assessmentPanel(id, a));
      detail.scrollIntoView();
    } catch (error) {
      fail(error);
    }
  };
  const act = async (alert, action) => {
    const note = prompt(action === "close" ? "Closing note (required):" : "Note (optional):") ?? null;
    if (note === null) return;
    try {
      await api(`/api/v1/alerts/${alert.alertId}/${action}`, { method: "POST", body: note ? { note } : {} });
      render();
    } catch (error) {
      fail(error);
    }
  };
  const open = alerts.filter((a) => a.status !== "closed");
  return h(
    "div",
    {},
    h("h1", {}, "DV service"),
    h("p", { class: "hint" }, `Synthetic survivors assessed as of ${overview.asOf}. Narratives and contacts stay sealed; assessments read incident metadata only.`),
    h("section", { class: "cards", "aria-label": "Assessments by level" }, ...overview.levels.cells.map((c) => card(c.label, c.count == null ? "suppressed" : fmt.format(c.count)))),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, `Crisis alerts (${open.length} open)`),
      table("Alert queue", ["Alert", "Survivor", "Level", "Reason", "Status", ""], alerts.map((a) => [a.alertId, h("code", {}, a.survivorId), levelBadge(a.riskLevel), a.reason, a.status, a.status === "closed" ? "" : h("span", {}, a.status === "open" ? h("button", { type: "button", class: "button", onclick: () => act(a, "acknowledge") }, "Acknowledge") : null, " ", h("button", { type: "button", class: "button", onclick: () => act(a, "close") }, "Close"))])),
    ),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "Highest scores"),
      table("Survivors by score", ["Survivor", "Level", { label: "Score", num: true }, { label: "Incidents", num: true }, { label: "Days since last", num: true }, ""], overview.survivors.map((s) => [h("code", {}, s.maskedId), levelBadge(s.riskLevel), s.overallScore.toFixed(1), String(s.incidents), s.daysSinceLast == null ? "–" : String(s.daysSinceLast), h("button", { type: "button", class: "button", onclick: () => assess(s.maskedId) }, "Assess")])),
    ),
    detail,
  );
}

function assessmentPanel(id, a) {
  const evidence = Object.entries(a.patternEvidence || {});
  return h(
    "section",
    { class: "panel", "aria-label": "Assessment" },
    h("h2", {}, "Assessment ", h("code", {}, id), " ", levelBadge(a.riskLevel)),
    h("p", {}, a.summary),
    h(
      "section",
      { class: "cards" },
      card("Overall", String(a.overallScore)),
      card("Lethality", a.lethalityScore.toFixed(0)),
      card("Frequency", a.frequencyScore.toFixed(0)),
      card("Escalation", a.escalationScore.toFixed(0)),
      card("Isolation", a.isolationScore.toFixed(0)),
      card("Confidence", String(a.confidenceScore)),
    ),
    h("h3", {}, "Patterns and their evidence"),
    evidence.length ? h("ul", {}, ...evidence.map(([p, e]) => h("li", {}, `${p.replace(/_/g, " ")}: ${Array.isArray(e) ? e.join("; ") : JSON.stringify(e)}`))) : h("p", {}, "No pattern detected."),
    h("h3", {}, "Published screens"),
    a.screens && a.screens.length
      ? h("ul", {}, ...a.screens.map((sc) => h("li", {}, `${sc.kind.toUpperCase()} ${sc.screenId}: ${sc.kind === "lap" ? (sc.screenedIn ? "screened in" : "not screened in") : (sc.refer ? "refer to MARAC" : "no referral")} — ${sc.reason || (sc.reasons || []).join("; ")}`)))
      : h("p", { class: "hint" }, "No LAP or DASH screen is stored for this survivor (POST /api/v1/screens/lap or /dash with its userId)."),
    h("h3", {}, "Recommendations"),
    h("pre", { class: "wrap" }, a.recommendations),
    h("h3", {}, "Resources"),
    h("pre", { class: "wrap" }, a.crisisResources),
  );
}

// --- chaos scenarios ---------------------------------------------------------------------------------------

async function scenarios(params) {
  const [catalog, stored] = await Promise.all([api("/api/v1/chaos/scenarios"), api("/api/v1/chaos/runs")]);
  const runId = params.get("run") || (stored.runs[0] && stored.runs[0].runId);
  const scenarioSelect = h("select", { id: "scenario-name" }, ...catalog.scenarios.map((s) => h("option", { value: s.name }, s.name.replace(/_/g, " "))));
  const shapeSelect = h("select", { id: "scenario-shape" }, h("option", { value: "" }, "the scenario's"), ...catalog.shapes.map((s) => h("option", { value: s }, s)));
  const running = h("span", { class: "hint", "aria-live": "polite" });
  const start = async () => {
    running.textContent = "Running on a copy of the population…";
    try {
      const body = { scenario: scenarioSelect.value };
      if (shapeSelect.value) body.shape = shapeSelect.value;
      const run = await api("/api/v1/chaos/runs", { method: "POST", body });
      go("scenarios", { run: run.runId });
    } catch (error) {
      running.textContent = "";
      fail(error);
    }
  };
  const content = h(
    "div",
    {},
    h("h1", {}, "Stress scenarios"),
    h("p", { class: "hint" }, "A run shocks a copy of the population month by month and rescores it; the warehouse is never changed."),
    h("div", { class: "controls" }, h("label", { for: "scenario-name" }, "Scenario", scenarioSelect), h("label", { for: "scenario-shape" }, "Shape", shapeSelect), h("button", { type: "button", class: "button", id: "run-scenario", onclick: start }, "Run"), running),
    h("ul", { class: "hint" }, ...catalog.scenarios.map((s) => h("li", {}, h("strong", {}, s.name.replace(/_/g, " ")), `: ${s.description} (${s.source})`))),
  );
  if (runId) {
    const [run, chart] = await Promise.all([
      api(`/api/v1/chaos/runs/${encodeURIComponent(runId)}`),
      chartPanel("Expected distress by month", `/api/v1/charts/chaos/${encodeURIComponent(runId)}.svg`, `${runId}.svg`),
    ]);
    const row = (label, key, f) => {
      const b = run.baseline[key];
      const sc = run.scenario[key];
      const pk = run.peak[key];
      const d = (x) => (x == null || b == null ? "–" : signed(x - b, f));
      return [label, b == null ? "suppressed" : f(b), sc == null ? "suppressed" : f(sc), d(sc), pk == null ? "suppressed" : f(pk), d(pk)];
    };
    content.append(
      h(
        "section",
        { class: "panel", id: "scenario-result" },
        h("h2", {}, `${run.definition.name.replace(/_/g, " ")} · ${run.definition.shape} · run ${run.runId}`),
        h("p", { class: "hint" }, `${fmt.format(run.people)} people, threshold ${run.threshold}; horizon month ${run.definition.horizonMonths}, peak month ${run.peakMonth}.${run.unmodelled.length ? ` Recorded, not modelled yet: ${run.unmodelled.join(", ")}.` : ""}`),
        table("Baseline and scenario", ["", { label: "Baseline", num: true }, { label: "Horizon", num: true }, { label: "Δ", num: true }, { label: "Peak", num: true }, { label: "Δ", num: true }], [
          row(`High-risk (≥ ${run.threshold})`, "highRiskCount", num),
          row("Expected distress", "expectedDistress", num),
          row("Medical exposure", "medicalExposure", money),
        ]),
      ),
      chart,
    );
  }
  content.append(
    h("section", { class: "panel" }, h("h2", {}, "Runs"), table("Stored runs", ["Run", "Scenario", "Shape", "When", { label: "People", num: true }], stored.runs.map((r) => [h("a", { href: `#/scenarios?run=${encodeURIComponent(r.runId)}` }, r.runId), r.scenario.replace(/_/g, " "), r.shape, r.createdAt, fmt.format(r.people)]))),
  );
  return content;
}

// --- live drills ---------------------------------------------------------------------------------------------

let liveStream = null;
const drillDay = (d) => (d == null ? "–" : `day ${d.toFixed(1)}`);

// Reads the server-sent events of /api/v1/drills/live/events with the bearer token (EventSource cannot send
// it), calling onMessage(kind, data) per event; reconnects after a dropped connection until aborted.
async function followDrill(controller, onMessage) {
  let delay = 500;
  while (!controller.signal.aborted) {
    try {
      const response = await fetch("/api/v1/drills/live/events", {
        headers: { Authorization: `Bearer ${token()}`, Accept: "text/event-stream" },
        signal: controller.signal,
      });
      if (response.status === 401) throw new Unauthenticated();
      if (!response.ok) throw new Error(`the live drill stream answered ${response.status}`);
      delay = 500;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let kind = "message";
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) kind = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
          }
          if (data.length) onMessage(kind, JSON.parse(data.join("\n")));
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      if (error instanceof Unauthenticated) return fail(error);
      status(`Live updates interrupted (${error.message}); reconnecting…`, true);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 8000);
  }
}

// A drill's length in drill days, as the server computes it.
function drillDuration(drill) {
  return drill.durationDays ?? Math.max(0, ...drill.event.map((e) => e.day + (e.respondWithinDays ?? drill.respondWithinDays)));
}

// The client's copy of the live run, kept in step by the stream.
function applyLine(live, line) {
  const s = live.state;
  if (line.entry === "start") {
    live.state = { runId: line.runId, drill: line.drill, status: "running", day: 0, seq: line.seq, events: [], items: {}, actions: [] };
    live.clock = { day: 0, daysPerMinute: line.drill.daysPerMinute, running: true, durationDays: drillDuration(line.drill), at: performance.now() };
    return;
  }
  if (!s || s.runId !== line.runId) return;
  s.seq = line.seq;
  s.day = line.day;
  live.clock.day = line.day;
  live.clock.at = performance.now();
  if (line.entry === "event") {
    const e = line.event;
    s.events.push(e);
    const due = e.day + e.respondWithinDays;
    for (const c of e.cases) s.items[c.caseId] = { id: c.caseId, kind: "case", event: e.index, raisedDay: e.day, dueDay: due, level: null, actions: [] };
    for (const a of e.alerts) s.items[a.alertId] = { id: a.alertId, kind: "alert", event: e.index, raisedDay: e.day, dueDay: due, level: a.level, actions: [] };
  } else if (line.entry === "action") {
    const item = s.items[line.action.target];
    if (item) item.actions.push({ kind: line.action.kind, day: line.day, role: line.role });
    s.actions.push([line.day, line.role, line.action]);
  } else if (line.entry === "pause") {
    s.status = "paused";
    live.clock.running = false;
  } else if (line.entry === "resume") {
    s.status = "running";
    live.clock.running = true;
  } else if (line.entry === "stop" || line.entry === "finish") {
    s.status = line.entry === "stop" ? "stopped" : "finished";
    live.clock.running = false;
  }
}

function liveDay(live) {
  const c = live.clock;
  if (!c) return 0;
  const running = c.running ? ((performance.now() - c.at) / 60000) * c.daysPerMinute : 0;
  const end = c.durationDays ?? Infinity;
  return Math.min(c.day + running, end);
}

async function drillView(params, arg, current) {
  // Registered before anything is awaited, so a re-render aborts this view's stream.
  const controller = new AbortController();
  liveStream = controller;
  const catalog = await api("/api/v1/drills");
  if (!current()) {
    controller.abort();
    return h("div");
  }
  const trainer = me.permissions.includes("drills");
  const live = { state: null, clock: null };
  const panel = h("section", { class: "panel", id: "drill-live", "aria-live": "polite" });
  const clockText = h("span", { class: "big", id: "drill-clock" }, "–");

  const act = async (kind, target) => {
    const note = kind === "acknowledge" ? "" : prompt(kind === "flag" ? "Why does this case need review?" : kind === "escalate" ? "Escalate to whom, and why?" : "Hand off to which team?");
    if (note === null) return;
    try {
      await api(`/api/v1/drills/${encodeURIComponent(live.state.runId)}/actions`, { method: "POST", body: { kind, target, note } });
      status(`${kind} ${target}: recorded on drill day ${liveDay(live).toFixed(2)}.`);
    } catch (error) {
      fail(error);
    }
  };
  const control = async (what) => {
    try {
      await api(`/api/v1/drills/${encodeURIComponent(live.state.runId)}/${what}`, { method: "POST" });
    } catch (error) {
      fail(error);
    }
  };
  // Cases are the investigators', alerts the advocates' (the server checks the same).
  const mayAct = (item) => me.permissions.includes(item.kind === "case" ? "caseList" : "dvService");
  const done = (item, kind) => item.actions.some((a) => a.kind === kind);

  const draw = () => {
    const s = live.state;
    if (!s) {
      panel.replaceChildren(h("h2", {}, "No drill yet"), h("p", { class: "hint" }, trainer ? "Start one above; everyone on the Drill view follows it live." : "A trainer starts drills; this view follows them live."));
      return;
    }
    const ended = ["finished", "stopped", "interrupted"].includes(s.status);
    const lastShock = [...s.events].reverse().find((e) => e.figures);
    const items = Object.values(s.items).sort((a, b) => b.raisedDay - a.raisedDay || a.id.localeCompare(b.id));
    const buttons = (item) => {
      if (ended || s.status === "paused") return "";
      const kinds = item.kind === "case" ? ["flag", "handoff"] : ["acknowledge", "escalate", "handoff"];
      return h("span", { class: "chart-actions" }, ...kinds.filter((k) => mayAct(item) && !done(item, k)).map((k) => h("button", { type: "button", class: "button", "data-action": k, "data-target": item.id, onclick: () => act(k, item.id) }, k === "handoff" ? "Hand off" : k[0].toUpperCase() + k.slice(1))));
    };
    // The person behind a case or alert, when this role may see it (the server leaves it out otherwise).
    const person = (item) => {
      const e = s.events.find((x) => x.index === item.event);
      const found = e && (item.kind === "case" ? e.cases.find((c) => c.caseId === item.id) : e.alerts.find((a) => a.alertId === item.id));
      if (!found || !found.maskedId) return "";
      return item.kind === "case" && me.permissions.includes("caseDetail") ? h("a", { href: `#/case/${encodeURIComponent(found.maskedId)}` }, h("code", {}, found.maskedId)) : h("code", {}, found.maskedId);
    };
    const state = (item) => (item.actions.length ? item.actions.map((a) => `${a.kind} (${a.role}, ${drillDay(a.day)})`).join("; ") : "open");
    panel.replaceChildren(...[
      h("div", { class: "panel-head" }, h("h2", {}, `${s.drill.name.replace(/_/g, " ")} · ${s.runId}`), h("span", { class: `level ${s.status === "running" ? "low" : s.status === "paused" ? "moderate" : "high"}`, id: "drill-status" }, s.status)),
      h("p", { class: "hint" }, s.drill.description),
      trainer && !ended ? h("div", { class: "controls" }, s.status === "paused" ? h("button", { type: "button", class: "button", id: "drill-resume", onclick: () => control("resume") }, "Resume") : h("button", { type: "button", class: "button", id: "drill-pause", onclick: () => control("pause") }, "Pause"), h("button", { type: "button", class: "button", id: "drill-stop", onclick: () => control("stop") }, "Stop")) : null,
      h(
        "section",
        { class: "cards" },
        h("div", { class: "card" }, h("span", { class: "label" }, "Drill time"), clockText, h("span", { class: "delta" }, `${s.drill.daysPerMinute} drill days per minute`)),
        card("Events", `${s.events.length} of ${s.drill.event.length}`, null, "drill-events"),
        card("Open cases and alerts", String(items.filter((i) => !i.actions.length).length), "waiting for a first action", "drill-open"),
        lastShock ? card(`High-risk people (≥ ${lastShock.figures.threshold})`, num(lastShock.figures.highRiskCount), `baseline ${num(lastShock.figures.baselineHighRiskCount)}`, "drill-high-risk") : null,
      ),
      ended && trainer ? h("p", {}, "The debrief is ready: ", h("button", { type: "button", class: "button", id: "drill-report", onclick: () => debrief(s.runId) }, "Download debrief (HTML)"), " ", h("button", { type: "button", class: "button", onclick: () => debrief(s.runId, true) }, "JSON")) : null,
      h("h3", {}, "Cases and alerts"),
      items.length ? table("Cases and alerts raised in this drill", ["ID", "Kind", "Person", "Level", { label: "Raised", num: true }, { label: "Due", num: true }, "Done", ""], items.map((i) => [h("code", {}, i.id), i.kind, person(i), i.level ? levelBadge(i.level) : "", drillDay(i.raisedDay), drillDay(i.dueDay), state(i), buttons(i)])) : h("p", { class: "hint" }, "Nothing raised yet."),
      h("h3", {}, "Timeline"),
      h("ol", { reversed: true, id: "drill-timeline" }, ...[...s.events].reverse().map((e) => h("li", { "data-seq": e.index }, h("strong", {}, `${drillDay(e.day)}: ${e.title}`), " — ", e.summary))),
    ].filter(Boolean));
    showClock();
  };
  const showClock = () => {
    if (live.state && live.clock) clockText.textContent = `${liveDay(live).toFixed(2)} / ${live.clock.durationDays != null ? live.clock.durationDays.toFixed(0) : "?"}`;
  };
  const tick = () => {
    if (controller.signal.aborted) return;
    showClock();
    setTimeout(tick, 250);
  };

  const drillSelect = h("select", { id: "drill-name" }, ...catalog.drills.map((d) => h("option", { value: d.name }, d.name.replace(/_/g, " "))));
  const speed = h("input", { type: "number", id: "drill-speed", min: "0.01", step: "any", value: String(catalog.drills[0] ? catalog.drills[0].daysPerMinute : 1) });
  drillSelect.addEventListener("change", () => (speed.value = String(catalog.drills.find((d) => d.name === drillSelect.value).daysPerMinute)));
  const startDrill = async () => {
    try {
      await api("/api/v1/drills", { method: "POST", body: { drill: drillSelect.value, daysPerMinute: Number(speed.value) } });
    } catch (error) {
      fail(error);
    }
  };
  followDrill(controller, (kind, data) => {
    if (kind === "snapshot" || kind === "resync") {
      if (kind === "resync") return api("/api/v1/drills/live").then((d) => { live.state = d.state; live.clock = d.clock && { ...d.clock, at: performance.now() }; draw(); }).catch(fail);
      live.state = data.state;
      live.clock = data.clock && { ...data.clock, at: performance.now() };
    } else {
      applyLine(live, data);
    }
    draw();
    // For latency measurements (benches/drill_latency.js): each log line shown, when it was written and drawn.
    (window.drillLines ||= []).push({ kind, seq: data.seq ?? null, wall: data.wall ?? null, drawnAt: Date.now() });
  });
  draw();
  tick();
  const past = catalog.runs.filter((r) => !["running", "paused"].includes(r.status));
  return h(
    "div",
    {},
    h("h1", {}, "Crisis drill"),
    h("p", { class: "hint" }, "Events arrive in drill time for everyone on this view; each action is audited with its drill and wall time."),
    trainer ? h("div", { class: "controls" }, h("label", { for: "drill-name" }, "Drill", drillSelect), h("label", { for: "drill-speed" }, "Drill days per minute", speed), h("button", { type: "button", class: "button", id: "drill-start", onclick: startDrill }, "Start")) : null,
    trainer ? h("ul", { class: "hint" }, ...catalog.drills.map((d) => h("li", {}, h("strong", {}, d.name.replace(/_/g, " ")), `: ${d.description} (${d.events} events over ${d.durationDays} drill days, ${d.wallMinutes.toFixed(1)} minutes at its speed)`))) : null,
    panel,
    trainer && past.length ? h("section", { class: "panel" }, h("h2", {}, "Past drills"), table("Past drill runs", ["Run", "Drill", "Status", { label: "Ended", num: true }, { label: "Events", num: true }, { label: "Actions", num: true }, ""], past.map((r) => [h("code", {}, r.runId), r.drill.replace(/_/g, " "), r.status, drillDay(r.day), String(r.events), String(r.actions), h("button", { type: "button", class: "button", onclick: () => debrief(r.runId) }, "Debrief")]))) : null,
  );
}

async function debrief(runId, json = false) {
  try {
    const url = `/api/v1/drills/${encodeURIComponent(runId)}/report${json ? "" : ".html"}`;
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token()}` } });
    if (!response.ok) throw new Error((await response.json()).error.message);
    download(await response.blob(), `${runId}.${json ? "json" : "html"}`);
  } catch (error) {
    fail(error);
  }
}

// --- warehouse summary --------------------------------------------------------------------------------------

async function summary() {
  const [info, chart] = await Promise.all([
    api("/api/v1/info"),
    chartPanel("Population by region", "/api/v1/charts/population-by-region.svg", "population-by-region.svg", "Counts below k are suppressed, and so is whatever would reveal them."),
  ]);
  const g = info.generation;
  const rows = info.tables.map((t) => [h("code", {}, t.name), fmt.format(t.rows)]);
  return h(
    "div",
    {},
    h("h1", {}, "Warehouse"),
    h(
      "section",
      { class: "cards" },
      card("Bank customers", fmt.format(g.customers)),
      card("DV service survivors", fmt.format(g.survivors)),
      card("Observed on", g.observationDate),
      card("Seed", String(g.seed)),
    ),
    chart,
    h(
      "div",
      { class: "grid2" },
      h("section", { class: "panel" }, h("h2", {}, "Tables"), table("Rows per table", ["Table", { label: "Rows", num: true }], rows)),
      h("section", { class: "panel" }, h("h2", {}, "Fingerprint"), h("p", {}, h("code", {}, info.fingerprint)), h("p", { class: "hint" }, "A hash over the warehouse's content: the same seed and size give the same fingerprint on any machine.")),
    ),
  );
}

// --- start --------------------------------------------------------------------------------------------------

async function start() {
  if (!token()) {
    showLogin();
    return;
  }
  try {
    me = await api("/api/v1/me");
    $("who-name").textContent = `${me.name} (${me.role})`;
    $("who").hidden = false;
    $("login").hidden = true;
    $("app").hidden = false;
    await render();
  } catch (error) {
    fail(error);
  }
}

// Errors are counted on the page, so a headless browser can check that none happened.
window.addEventListener("error", () => (document.documentElement.dataset.jsErrors = Number(document.documentElement.dataset.jsErrors || 0) + 1));
window.addEventListener("unhandledrejection", () => (document.documentElement.dataset.jsErrors = Number(document.documentElement.dataset.jsErrors || 0) + 1));

document.addEventListener("DOMContentLoaded", () => {
  // A sign-in link (#token=…) stores the token for this tab and leaves the address bar clean.
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  if (fragment.get("token")) {
    sessionStorage.setItem(TOKEN_KEY, fragment.get("token"));
    const next = fragment.get("next");
    history.replaceState(null, "", next ? `#${next}` : "#/");
  }
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
  window.addEventListener("hashchange", render);
  start();
});
