// The executive view: KPIs now and their changes over 3 and 12 months, at a threshold and filters kept in the
// URL; the exposure map, trends and credit-group charts; CSV and Parquet exports. Served by src/server/portfolio.rs.

import { api, vocabulary } from "../api.js";
import { card, chartPanel, exportButtons, filterSelects, h, noiseNote, table } from "../dom.js";
import { approx, money, num, pct, signed, words } from "../format.js";
import { filterParams, go } from "../route.js";

export const title = "Executive";
export const permission = "aggregates";

export async function render(params) {
  const state = { threshold: params.get("threshold") || "", ...filterParams(params) };
  const query = new URLSearchParams(Object.entries(state).filter(([, v]) => v)).toString();
  const [view, vocab, map, bubbles, trends] = await Promise.all([
    api(`/api/v1/executive?${query}`),
    vocabulary(),
    chartPanel("Medical exposure by region", `/api/v1/charts/exposure-map.svg?${query}`, "exposure-map.svg", "Medical cost per person over the last 12 months; suppressed regions are grey."),
    chartPanel("Risk against volume by credit group", `/api/v1/charts/credit-groups.svg?${query}`, "credit-groups.svg", "Circle area is the group's medical exposure."),
    chartPanel("Monthly trends", `/api/v1/charts/trends.svg?${query}`, "trends.svg", "People per month with each kind of event; gaps are suppressed months."),
  ]);
  const threshold = view.threshold;
  const update = (changes) => go("executive", { ...state, threshold, ...changes }, null, true);
  const k = view.kpis;
  // Under differential privacy every figure is noisy: shown as ≈ value ± its 95 % half-width.
  const dp = view.dp;
  const kpi = dp ? dp.kpis : {};
  const group = dp ? dp.creditGroups : {};
  // A noisy figure without an interval of its own (a mean, a share, a change) reads as approximate.
  const rough = (v, f) => (dp && v != null ? `≈ ${f(v)}` : f(v));
  const delta = (kpi, f) => h("span", { class: "delta" }, `3 m ${rough(kpi.change3m, (v) => signed(v, f))} · 12 m ${rough(kpi.change12m, (v) => signed(v, f))}`);
  const slider = h("input", { type: "range", id: "threshold", min: "0.01", max: "0.9", step: "0.01", value: String(threshold), "aria-describedby": "threshold-value" });
  const shown = h("output", { id: "threshold-value", for: "threshold" }, threshold.toFixed(2));
  slider.addEventListener("input", () => (shown.textContent = Number(slider.value).toFixed(2)));
  slider.addEventListener("change", () => update({ threshold: slider.value }));
  const groupRows = view.creditGroups.map((g) => [
    words(g.label),
    approx(g.count, group.people, num),
    g.stats ? pct(g.stats.meanProbability, 2) : "suppressed",
    g.stats ? pct(g.stats.highRiskShare) : "suppressed",
    g.stats ? rough(g.stats.medicalExposure, money) : "suppressed",
  ]);
  return h(
    "div",
    {},
    h("h1", {}, "Executive view"),
    h("p", { class: "hint" }, `Model ${view.modelVersion}. Figures for groups under k = ${view.k} are suppressed, and so is whatever would reveal them.`),
    h(
      "div",
      { class: "controls" },
      h("label", { for: "threshold" }, "High-risk threshold", h("span", {}, slider, " ", shown)),
      ...filterSelects(vocab, state, update),
    ),
    view.withheldBecause
      ? h("p", { class: "status error", id: "withheld-because" }, `${view.withheldBecause}: what the unfiltered view withholds stays withheld when you filter to it.`)
      : view.suppressed ? h("p", { class: "status error" }, "This selection has fewer than k people: every figure is withheld.") : null,
    noiseNote(dp, dp ? `At 95 %: headline people and high-risk ± ${num(kpi.people)}, their 3- or 12-month changes ± ${num(dp.changes.people)}, a region's people ± ${num(dp.regions.people)} and its medical exposure ± ${money(dp.regions.medicalExposure)}, a credit group's people ± ${num(group.people)}, a month's trend count ± ${num(dp.trendCount)}; each person's medical exposure counts up to ${money(dp.exposureBound)}.` : ""),
    h(
      "section",
      { class: "cards", "aria-label": "Key figures" },
      card("People", approx(k.people.value, kpi.people, num), delta(k.people, num), "kpi-people"),
      card(`High-risk (≥ ${threshold.toFixed(2)})`, approx(k.highRiskCount.value, kpi.highRisk, num), h("span", { class: "delta" }, `${rough(k.highRiskShare.value, pct)} of people · 12 m ${rough(k.highRiskCount.change12m, (v) => signed(v, num))}`), "kpi-high-risk"),
      card("Expected distress (12 m)", approx(k.expectedDistress.value, kpi.expectedDistress, num), delta(k.expectedDistress, num), "kpi-expected"),
      card("Mean probability", rough(k.meanProbability.value, (v) => pct(v, 2)), delta(k.meanProbability, (v) => pct(v, 2)), "kpi-mean"),
      card("Medical exposure (12 m)", approx(k.medicalExposure.value, kpi.medicalExposure, money), delta(k.medicalExposure, money), "kpi-exposure"),
    ),
    h("p", { class: "controls" }, exportButtons("Regions", "/api/v1/export/executive/regions.", query), exportButtons("Credit groups", "/api/v1/export/executive/credit-groups.", query), exportButtons("Trends", "/api/v1/export/executive/trends.", query)),
    map,
    trends,
    h("div", { class: "grid2" }, bubbles, h("section", { class: "panel" }, h("h2", {}, "Credit groups"), table("Credit groups", ["Group", { label: "People", num: true }, { label: "Mean risk", num: true }, { label: "High-risk", num: true }, { label: "Medical exposure", num: true }], groupRows))),
  );
}
