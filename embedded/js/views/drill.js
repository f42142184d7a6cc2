// A live crisis drill: the clock, cases and alerts with their due days, trainee actions, the timeline, trainer
// controls and the debrief, kept live by the server-sent events of the drill log. Served by src/server/drill.rs.

import { Unauthenticated, api, authorized, may } from "../api.js";
import { card, downloadFrom, fail, h, levelBadge, status, table } from "../dom.js";
import { drillDay, num, words } from "../format.js";

export const title = "Drill";
export const permission = "participate";

// Reads the server-sent events of /api/v1/drills/live/events with the bearer token (EventSource cannot send
// it), calling onMessage(kind, data) per event; reconnects after a dropped connection until aborted.
async function followDrill(controller, onMessage) {
  let delay = 500;
  while (!controller.signal.aborted) {
    try {
      const response = await authorized("/api/v1/drills/live/events", {
        headers: { Accept: "text/event-stream" },
        signal: controller.signal,
      });
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

export async function render(params, arg, view) {
  // Registered before anything is awaited, so a re-render aborts this view's stream.
  const controller = new AbortController();
  view.onLeave(() => controller.abort());
  const catalog = await api("/api/v1/drills");
  if (!view.current()) {
    controller.abort();
    return h("div");
  }
  const trainer = may("drills");
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
  const mayAct = (item) => may(item.kind === "case" ? "caseList" : "dvService");
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
      return item.kind === "case" && may("caseDetail") ? h("a", { href: `#/case/${encodeURIComponent(found.maskedId)}` }, h("code", {}, found.maskedId)) : h("code", {}, found.maskedId);
    };
    const state = (item) => (item.actions.length ? item.actions.map((a) => `${a.kind} (${a.role}, ${drillDay(a.day)})`).join("; ") : "open");
    panel.replaceChildren(...[
      h("div", { class: "panel-head" }, h("h2", {}, `${words(s.drill.name)} · ${s.runId}`), h("span", { class: `level ${s.status === "running" ? "low" : s.status === "paused" ? "moderate" : "high"}`, id: "drill-status" }, s.status)),
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

  const drillSelect = h("select", { id: "drill-name" }, ...catalog.drills.map((d) => h("option", { value: d.name }, words(d.name))));
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
    trainer ? h("ul", { class: "hint" }, ...catalog.drills.map((d) => h("li", {}, h("strong", {}, words(d.name)), `: ${d.description} (${d.events} events over ${d.durationDays} drill days, ${d.wallMinutes.toFixed(1)} minutes at its speed)`))) : null,
    panel,
    trainer && past.length ? h("section", { class: "panel" }, h("h2", {}, "Past drills"), table("Past drill runs", ["Run", "Drill", "Status", { label: "Ended", num: true }, { label: "Events", num: true }, { label: "Actions", num: true }, ""], past.map((r) => [h("code", {}, r.runId), words(r.drill), r.status, drillDay(r.day), String(r.events), String(r.actions), h("button", { type: "button", class: "button", onclick: () => debrief(r.runId) }, "Debrief")]))) : null,
  );
}

async function debrief(runId, json = false) {
  const url = `/api/v1/drills/${encodeURIComponent(runId)}/report${json ? "" : ".html"}`;
  await downloadFrom(url, `${runId}.${json ? "json" : "html"}`).catch(fail);
}
