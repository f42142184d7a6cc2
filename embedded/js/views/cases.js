// The case list: the highest-risk masked IDs with their top reasons, filtered and paged, the page exportable;
// and the cases flagged for review, with their hand-off workflow. Served by src/server/portfolio.rs (the flagged
// cases by src/server/handoff.rs).

import { api, may, vocabulary } from "../api.js";
import { exportButtons, filterSelects, h, select, table } from "../dom.js";
import { fmt, pct, words } from "../format.js";
import { filterParams, go } from "../route.js";
import { clocks, handoffStatus, stateLabel } from "./handoff.js";

export const title = "Cases";
export const permission = "caseList";

const LIMIT = 25;

// "26–50 of 1,234"; a total under k is withheld like any count.
function pageInfo(page, offset) {
  if (!page.cases.length) return "No cases match.";
  const shown = `${fmt.format(offset + 1)}–${fmt.format(offset + page.cases.length)}`;
  return page.total == null ? `${shown} of fewer than k (the total is withheld)` : `${shown} of ${fmt.format(page.total)}`;
}

export async function render(params) {
  const state = { ...filterParams(params), indicator: params.get("indicator") || "", offset: params.get("offset") || "0" };
  const query = new URLSearchParams(Object.entries({ ...state, limit: LIMIT }).filter(([, v]) => v !== "")).toString();
  const [page, vocab, flagged] = await Promise.all([
    api(`/api/v1/cases?${query}`),
    vocabulary(),
    may("caseList") ? api("/api/v1/cases/flagged") : { cases: [] },
  ]);
  const update = (changes) => go("cases", { ...state, offset: 0, ...changes });
  const offset = Number(state.offset);
  const canOpen = may("caseDetail");
  const caseLink = (id) => (canOpen ? h("a", { href: `#/case/${encodeURIComponent(id)}` }, h("code", {}, id)) : h("code", {}, id));
  const rows = page.cases.map((c) => [
    caseLink(c.maskedId),
    c.region,
    words(c.creditGroup),
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
      ...filterSelects(vocab, state, update),
      select("Indicator", "indicator", vocab.indicators, state.indicator, (e) => update({ indicator: e.target.value })),
    ),
    h("p", { class: "controls" }, exportButtons("This page", "/api/v1/export/cases/", query)),
    table("Cases, highest probability first", ["Masked ID", "Region", "Credit group", "Age", { label: "Probability", num: true }, { label: "Points", num: true }, "Top reasons"], rows),
    h(
      "div",
      { class: "pager" },
      h("button", { type: "button", class: "button", disabled: offset === 0, onclick: () => go("cases", { ...state, offset: Math.max(0, offset - LIMIT) }) }, "Previous"),
      h("span", { id: "page-info" }, pageInfo(page, offset)),
      h("button", { type: "button", class: "button", disabled: page.total == null ? page.cases.length < LIMIT : offset + LIMIT >= page.total, onclick: () => go("cases", { ...state, offset: offset + LIMIT }) }, "Next"),
    ),
    flagged.cases.length ? flaggedPanel(flagged.cases, caseLink) : null,
  );
}

// The cases flagged for review, newest first, with where each stands in its hand-off (the filters above do not
// apply: every flagged case is someone's work).
function flaggedPanel(signals, caseLink) {
  const open = signals.filter((s) => s.state !== "closed").length;
  return h(
    "section",
    { class: "panel", id: "flagged-cases", "aria-labelledby": "flagged-heading" },
    h("h2", { id: "flagged-heading" }, `Flagged for review (${open} not closed)`),
    h(
      "div",
      { class: "table-scroll" },
      table(
        "Cases flagged for review, newest first",
        ["Signal", "Masked ID", "Queue", "Owner", "State", "SLA", "Hand-off"],
        signals.map((s) => [h("code", {}, s.signalId), caseLink(s.maskedId), s.queue, s.owner || "–", stateLabel(s.state, s.closingReason), clocks(s), handoffStatus(s)]),
      ),
    ),
  );
}
