// The model page: evaluation against the Bayes ceiling, ROC, KS and calibration charts, thresholds,
// coefficients with sign checks, fairness and drift. Served by src/server/model.rs.

import { api } from "../api.js";
import { card, chartPanel, h, table } from "../dom.js";
import { fmt, num, pct, signed, words } from "../format.js";

export const title = "Model";
export const permission = "model";

export async function render() {
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
      table(title, ["Group", { label: "People", num: true }, { label: "AUC", num: true }, { label: "Flagged", num: true }, { label: "Observed", num: true }], f.groups.map((g) => [g.group, num(g.count), g.auc == null ? "–" : g.auc.toFixed(3), g.suppressed ? "suppressed" : pct(g.flag_rate), g.suppressed ? "suppressed" : pct(g.observed_rate)])),
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
      h("section", { class: "panel" }, h("h2", {}, "Thresholds"), table("Threshold table", [{ label: "Threshold", num: true }, { label: "Flagged", num: true }, { label: "Precision", num: true }, { label: "Recall", num: true }], m.thresholds.map((t) => [t.threshold.toFixed(2), pct(t.share_flagged), t.precision == null ? "withheld" : t.precision.toFixed(3), t.recall == null ? "withheld" : t.recall.toFixed(3)]))),
      h("section", { class: "panel" }, h("h2", {}, "Coefficients"), h("p", { class: "hint" }, "On standardised inputs; the check compares the sign with the generator's."), table("Coefficients", ["Input", { label: "Coefficient", num: true }, "Sign"], m.features.map((f) => [f.name, signed(f.coefficient, (v) => v.toFixed(3)), f.expected_sign == null ? "" : (f.coefficient * f.expected_sign > 0 ? h("span", { class: "ok" }, "as expected") : h("span", { class: "up" }, "against expectation"))]))),
    ),
    h("div", { class: "grid2" }, fairness("Fairness by age band", m.fairness_by_age_band), fairness("Fairness by region", m.fairness_by_region)),
    h("section", { class: "panel" }, h("h2", {}, "Population stability (current vs training)"), h("p", { class: "hint" }, "PSI < 0.10 no significant change, 0.10–0.25 investigate, ≥ 0.25 significant."), table("PSI", ["Input", { label: "PSI", num: true }, "Band"], (m.drift || []).map((d) => [d.name, d.psi.toFixed(4), words(d.band)]))),
  );
}
