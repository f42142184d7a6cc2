// Stress scenarios: run a preset on a copy of the population, and read stored runs against their baseline.
// Served by src/server/chaos.rs.

import { api } from "../api.js";
import { chartPanel, fail, h, table } from "../dom.js";
import { fmt, money, num, signed, words } from "../format.js";
import { go } from "../route.js";

export const title = "Scenarios";
export const permission = "drills";

export async function render(params) {
  const [catalog, stored] = await Promise.all([api("/api/v1/chaos/scenarios"), api("/api/v1/chaos/runs")]);
  const runId = params.get("run") || (stored.runs[0] && stored.runs[0].runId);
  const scenarioSelect = h("select", { id: "scenario-name" }, ...catalog.scenarios.map((s) => h("option", { value: s.name }, words(s.name))));
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
    h("ul", { class: "hint" }, ...catalog.scenarios.map((s) => h("li", {}, h("strong", {}, words(s.name)), `: ${s.description} (${s.source})`))),
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
        h("h2", {}, `${words(run.definition.name)} · ${run.definition.shape} · run ${run.runId}`),
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
    h("section", { class: "panel" }, h("h2", {}, "Runs"), table("Stored runs", ["Run", "Scenario", "Shape", "When", { label: "People", num: true }], stored.runs.map((r) => [h("a", { href: `#/scenarios?run=${encodeURIComponent(r.runId)}` }, r.runId), words(r.scenario), r.shape, r.createdAt, fmt.format(r.people)]))),
  );
  return content;
}
