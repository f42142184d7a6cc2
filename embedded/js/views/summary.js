// The warehouse summary: generation parameters, the population by region (k-guarded), rows per table and the
// content fingerprint. Served by src/server/summary.rs.

import { api } from "../api.js";
import { card, chartPanel, h, noiseNote, table } from "../dom.js";
import { fmt } from "../format.js";

export const title = "Warehouse";
export const permission = "aggregates";

export async function render() {
  const [info, population, chart] = await Promise.all([
    api("/api/v1/info"),
    // The chart is the same release as these figures: under differential privacy, fetching both costs once.
    api("/api/v1/population/regions"),
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
    noiseNote(population.dp, population.dp ? `Each region's count is ± ${fmt.format(population.dp.interval95)} people at 95 %, their total ± ${fmt.format(population.dp.totalInterval95)}. The table sizes below are exact: they are the installation's, not a view's.` : ""),
    chart,
    h(
      "div",
      { class: "grid2" },
      h("section", { class: "panel" }, h("h2", {}, "Tables"), table("Rows per table", ["Table", { label: "Rows", num: true }], rows)),
      h("section", { class: "panel" }, h("h2", {}, "Fingerprint"), h("p", {}, h("code", {}, info.fingerprint)), h("p", { class: "hint" }, "A hash over the warehouse's content: the same seed and size give the same fingerprint on any machine.")),
    ),
  );
}
