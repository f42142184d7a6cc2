// Hand-off, for the admin: where the routing rules came from, the signals by state, the webhook destinations,
// the deliveries (dead letters replayable) and the outbox, newest first. Also the pieces the DV, case and cases
// views show a signal with: its state, SLA clocks, CRM record and the acts its state allows. Served by
// src/server/handoff.rs.

import { api } from "../api.js";
import { card, fail, h, select, table } from "../dom.js";
import { fmt, num, words } from "../format.js";
import { go } from "../route.js";

export const title = "Hand-off";
export const permission = "admin";

// Outbox events per page.
const LIMIT = 50;

// Why a signal is closed: the server's closed list, so reports can count them.
export const CLOSING_REASONS = ["actioned", "referred", "no_action", "duplicate", "not_applicable"];

// A server time (RFC 3339, UTC) to the minute, as a <time>; "–" when there is none.
export function when(t) {
  if (!t) return "–";
  return h("time", { datetime: t }, `${t.slice(0, 10)} ${t.slice(11, 16)} UTC`);
}

// 0 → "under a minute"; 75 → "1 h 15 min"; 3000 → "2 d 2 h".
function minutes(m) {
  if (m < 1) return "under a minute";
  if (m < 60) return `${m} min`;
  if (m < 2880) return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ""}`;
  return `${Math.floor(m / 1440)} d${Math.floor((m % 1440) / 60) ? ` ${Math.floor((m % 1440) / 60)} h` : ""}`;
}

// The symbol beside a clock's or delivery's state, so it never rests on colour alone (the word is there too).
const MARKS = { warning: "⚠", violated: "✖", met: "✓", dead: "✖" };

function marked(state, ...text) {
  return h("span", { class: `mark ${state}` }, MARKS[state] ? h("span", { "aria-hidden": "true" }, `${MARKS[state]} `) : null, ...text);
}

// An SLA clock as people read it: "⚠ warning · 12 min left", "✖ violated · 5 min over", "✓ met in 3 min".
export function clock(c, label) {
  if (!c) return "–";
  const left = typeof c.minutesToViolation === "number" ? c.minutesToViolation : null;
  let detail = "";
  if (c.state === "met") detail = typeof c.elapsedMinutes === "number" ? ` in ${minutes(c.elapsedMinutes)}` : "";
  else if (left != null) detail = left >= 0 ? ` · ${minutes(left)} left` : ` · ${minutes(-left)} over`;
  const at = c.state === "met" || c.state === "violated" ? null : c.state === "ok" ? c.warningAt : c.violatedAt;
  return h(
    "span",
    { class: "sla", title: at ? `${c.state === "ok" ? "Warning" : "Violation"} at ${at}` : null },
    label ? `${label}: ` : null,
    marked(c.state, `${c.state}${detail}`),
  );
}

// A signal's clocks for a table cell: acknowledging, and once acknowledged also handing off.
export function clocks(signal) {
  const sla = signal && signal.sla;
  if (!sla) return "–";
  if (signal.state === "open") return clock(sla.acknowledge, "acknowledge");
  return h("span", { class: "clocks" }, clock(sla.acknowledge, "acknowledge"), clock(sla.handoff, "hand off"));
}

// A workflow state in words; a closed one with its closing reason ("closed: no action").
export function stateLabel(state, closingReason) {
  return h("span", { class: `state ${state}` }, words(state), state === "closed" && closingReason ? `: ${words(closingReason)}` : null);
}

// Whether the CRM has it: its record ID, or why not.
export function handoffStatus(signal) {
  if (!signal) return "not yet";
  if (signal.crmId) return h("code", {}, signal.crmId);
  if (signal.state === "handed_off" || signal.handedOffAt) return "handed off, record ID not known yet";
  return signal.state === "closed" ? "not handed off" : "not yet";
}

// The acts a signal's `state` allows, as buttons: Acknowledge acts at once; Hand off and Close open a small form
// (an optional CRM record ID; a closing reason, and a note where `note` says the act keeps one), below the
// buttons, or in a row of its own under theirs in a table. `act(name, body)` posts the act and shows its result;
// a refused act keeps the form and what was typed.
export function actions({ subject, state, crmId = null, handOff = true, note = false, act }) {
  const slot = h("div", { class: "act-form" });
  let formRow = null;
  const place = () => {
    const row = box.closest("tr");
    if (!row) return slot;
    formRow ||= h("tr", { class: "act-row" }, h("td", { colspan: String(row.cells.length) }));
    if (!formRow.isConnected) row.after(formRow);
    return formRow.cells[0];
  };
  const shut = () => (formRow ? formRow.remove() : slot.replaceChildren());
  const run = async (name, body, control) => {
    control.disabled = true;
    try {
      await act(name, body);
    } catch (error) {
      fail(error);
    } finally {
      control.disabled = false;
    }
  };
  const open = (form, opener) => {
    const cancel = h("button", { type: "button", class: "button", onclick: () => (shut(), opener.focus()) }, "Cancel");
    form.append(cancel);
    form.setAttribute("aria-label", `${opener.textContent} ${subject}`);
    place().replaceChildren(form);
    form.querySelector("input, select, textarea").focus();
  };
  const handOffForm = (opener, required) => {
    const crm = h("input", { type: "text", name: "crmId", maxlength: "64", pattern: "[A-Za-z0-9_\\-]{1,64}", autocomplete: "off", spellcheck: "false", required });
    const submit = h("button", { type: "submit", class: "button" }, required ? "Record" : "Hand off");
    const form = h(
      "form",
      { class: "inline", onsubmit: (e) => (e.preventDefault(), run("handoff", crm.value.trim() ? { crmId: crm.value.trim() } : {}, submit)) },
      h("label", {}, `CRM record ID${required ? "" : " (optional)"}: letters, digits, - or _`, crm),
      submit,
    );
    open(form, opener);
  };
  const closeForm = (opener) => {
    const reason = h("select", { name: "reason", required: true }, h("option", { value: "" }, "choose…"), ...CLOSING_REASONS.map((r) => h("option", { value: r }, words(r))));
    const text = note ? h("textarea", { name: "note", required: true, maxlength: "500", rows: "2" }) : null;
    const submit = h("button", { type: "submit", class: "button" }, "Close");
    const form = h(
      "form",
      {
        class: "inline",
        onsubmit: (e) => {
          e.preventDefault();
          run("close", note ? { reason: reason.value, note: text.value.trim() } : { reason: reason.value }, submit);
        },
      },
      h("label", {}, "Closing reason", reason),
      note ? h("label", { class: "grow" }, "Note (required; it stays here, never sent)", text) : null,
      submit,
    );
    open(form, opener);
  };
  const buttons = [];
  const button = (text, onclick) => {
    const b = h("button", { type: "button", class: "button" }, text);
    b.addEventListener("click", () => onclick(b));
    buttons.push(b);
  };
  if (state === "open") button("Acknowledge", (b) => run("acknowledge", {}, b));
  if (handOff && (state === "open" || state === "acknowledged")) button("Hand off", (b) => handOffForm(b, false));
  if (handOff && state === "handed_off" && !crmId) button("Record CRM ID", (b) => handOffForm(b, true));
  if (state !== "closed") button("Close", closeForm);
  if (!buttons.length) return "–";
  const box = h("div", { class: "acts", role: "group", "aria-label": `Actions for ${subject}` }, h("span", { class: "chart-actions" }, ...buttons), slot);
  return box;
}

const STATES = ["open", "acknowledged", "handed_off", "closed"];
const STATE_LABELS = { open: "Open", acknowledged: "Acknowledged", handed_off: "Handed off", closed: "Closed" };

export async function render(params, arg, view) {
  const filter = params.get("status") || "";
  let after = params.has("after") ? Math.max(0, Math.floor(Number(params.get("after")) || 0)) : null;
  if (after == null) {
    // The latest page: where the outbox ends decides where it starts.
    const head = await api("/api/v1/handoff/outbox?limit=0");
    after = Math.max(0, head.lastEventNo - LIMIT);
  }
  const [outbox, sent] = await Promise.all([
    api(`/api/v1/handoff/outbox?after=${after}&limit=${LIMIT}`),
    api(`/api/v1/handoff/deliveries${filter ? `?status=${encodeURIComponent(filter)}` : ""}`),
  ]);
  const events = outbox.events.filter((e) => e.eventNo <= after + LIMIT).reverse();
  const last = outbox.lastEventNo;
  const page = (changes) => go("handoff", { status: filter, after: params.get("after") ?? "", ...changes });

  const replay = async (d, button) => {
    button.disabled = true;
    try {
      await api(`/api/v1/handoff/deliveries/${encodeURIComponent(d.deliveryId)}/replay`, { method: "POST", body: {} });
      view.rerender();
    } catch (error) {
      button.disabled = false;
      fail(error);
    }
  };

  const violated = outbox.signals.filter((s) => s.state !== "closed" && s.sla && (s.sla.acknowledge.state === "violated" || s.sla.handoff.state === "violated"));
  const deliveries = table(
    "Deliveries, newest first",
    ["Delivery", { label: "Event no.", num: true }, "Destination", "Status", { label: "Attempts", num: true }, "Last answer", "Next attempt or delivered", ""],
    sent.deliveries.map((d) => [
      h("code", {}, d.deliveryId),
      String(d.eventNo),
      d.destination,
      marked(d.status, d.status),
      String(d.attempts),
      [d.lastStatus == null ? null : `HTTP ${d.lastStatus}`, d.lastError].filter(Boolean).join(": ") || "–",
      d.status === "delivered" ? when(d.deliveredAt) : d.status === "pending" ? when(d.nextAt) : "–",
      d.status === "dead" ? h("button", { type: "button", class: "button", "aria-label": `Replay ${d.deliveryId}`, onclick: (e) => replay(d, e.currentTarget) }, "Replay") : "",
    ]),
  );
  sent.deliveries.forEach((d, i) => d.status === "dead" && deliveries.tBodies[0].rows[i].classList.add("dead"));

  return h(
    "div",
    {},
    h("h1", {}, "Hand-off"),
    h("p", { class: "hint" }, "Signals (crisis alerts and cases flagged for review) leave as thin events: a masked ID, a level, a queue and a state, never a name, contact, narrative or note."),
    h(
      "section",
      { class: "panel", "aria-labelledby": "handoff-rules" },
      h("h2", { id: "handoff-rules" }, "Routing rules"),
      h("p", {}, "Signals are routed by ", h("code", {}, outbox.rules), "."),
      h("p", { class: "hint" }, "To change them, write DATA_DIR/routing.toml (start from routing/default.toml) and check it with ", h("code", {}, "safehaven rules check FILE"), "; the server reads it when it starts."),
    ),
    h(
      "section",
      { class: "cards", "aria-label": "Signals by state" },
      ...STATES.map((s) => card(STATE_LABELS[s], num(outbox.signals.filter((x) => x.state === s).length))),
      card("SLA violated, not closed", num(violated.length)),
    ),
    h(
      "section",
      { class: "panel", "aria-labelledby": "handoff-destinations" },
      h("h2", { id: "handoff-destinations" }, "Destinations"),
      sent.destinations.length
        ? h(
            "div",
            { class: "table-scroll" },
            table(
              "Webhook destinations",
              ["Name", "URL", "Queues", { label: "Attempts", num: true }, { label: "Cursor (event no.)", num: true }, "State"],
              sent.destinations.map((d) => [
                d.name,
                h("code", {}, d.url),
                d.queues && d.queues.length ? d.queues.join(", ") : "all",
                String(d.attempts),
                String(d.cursor),
                d.disabledAt ? h("span", {}, marked("dead", "disabled"), " since ", when(d.disabledAt), d.disabledReason ? `: ${d.disabledReason}` : "") : "enabled",
              ]),
            ),
          )
        : h("p", { class: "hint" }, "No webhook is configured: ", h("code", {}, "safehaven handoff webhook add --name relay --url http://127.0.0.1:9000/hooks")),
    ),
    h(
      "section",
      { class: "panel", "aria-labelledby": "handoff-deliveries" },
      h("h2", { id: "handoff-deliveries" }, "Deliveries"),
      h("div", { class: "controls" }, select("Status", "status", ["pending", "delivered", "dead"], filter, (e) => page({ status: e.target.value }))),
      sent.deliveries.length
        ? h("div", { class: "table-scroll" }, deliveries)
        : h("p", { class: "hint" }, filter ? `No ${filter} deliveries.` : sent.destinations.length ? "No deliveries yet: each event is given one per destination whose queues it reaches." : "No deliveries: there is no destination to deliver to."),
      sent.deliveries.some((d) => d.status === "dead") ? h("p", { class: "hint" }, "A dead letter ran out of attempts; Replay sends it again under the same webhook-id (and enables its destination again).") : null,
    ),
    h(
      "section",
      { class: "panel", "aria-labelledby": "handoff-outbox" },
      h("h2", { id: "handoff-outbox" }, "Outbox"),
      events.length
        ? table(
            "Outbox events, newest first",
            [{ label: "Event no.", num: true }, "Event ID", "Type", "Signal", "Queue", "State", "Occurred"],
            events.map((e) => [String(e.eventNo), h("code", {}, e.eventId), e.payload.type, h("code", {}, e.payload.signalId), e.payload.queue, stateLabel(e.payload.state, e.payload.closingReason), when(e.payload.occurredAt)]),
          )
        : h("p", { class: "hint" }, last ? "No events on this page." : "No events yet: acknowledging, handing off or closing an alert, or flagging a case, writes one."),
      last
        ? h(
            "div",
            { class: "pager" },
            h("button", { type: "button", class: "button", disabled: after === 0, onclick: () => page({ after: Math.max(0, after - LIMIT) }) }, "Older"),
            h("span", { id: "outbox-page" }, `events ${fmt.format(after + 1)}–${fmt.format(Math.min(after + LIMIT, last))} of ${fmt.format(last)}`),
            h("button", { type: "button", class: "button", disabled: after + LIMIT >= last, onclick: () => page({ after: after + LIMIT >= last - LIMIT ? "" : after + LIMIT }) }, "Newer"),
          )
        : null,
    ),
  );
}
