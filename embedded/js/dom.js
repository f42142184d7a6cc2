// Building the page: elements (text is always set with textContent, never parsed as HTML), the status line,
// sign-in, cards, tables, chart panels and downloads.

import { Unauthenticated, api, authorized, clearToken, failure } from "./api.js";
import { words } from "./format.js";

export function $(id) {
  return document.getElementById(id);
}

// h("div", {class: "x"}, child, "text", …): builds an element; attributes starting with "on" are listeners.
export function h(tag, attrs = {}, ...children) {
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

export function status(message, isError = false) {
  const el = $("status");
  el.textContent = message || "";
  el.classList.toggle("error", isError);
}

export function showLogin(message) {
  clearToken();
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

// Shows what went wrong: a lapsed session returns to sign-in, anything else goes to the status line.
export function fail(error) {
  if (error instanceof Unauthenticated) {
    showLogin("Your session has ended or the token is no longer valid: sign in again.");
    return;
  }
  status(`${error.message}`, true);
}

// What a differentially private release says about its noise, for the view that shows it; nothing for an exact one.
export function noiseNote(dp, interval) {
  if (!dp) return null;
  return h(
    "p",
    { class: "hint", id: "dp-note" },
    `Differential privacy: these figures carry ${dp.mechanism} noise (ε ${dp.epsilon.toFixed(2)} for this view, charged once a day; opening it again today is free). ${interval} Suppression applies to the noisy figures.`,
  );
}

function inlineSvg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  return document.importNode(doc.documentElement, true);
}

export function download(blob, name) {
  const link = h("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// Downloads a file the server serves behind the token (fetched, since a plain link cannot carry it).
export async function downloadFrom(url, fallbackName, what = url) {
  const response = await authorized(url);
  if (!response.ok) throw await failure(response, what);
  const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
  download(await response.blob(), name ? name[1] : fallbackName);
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

// A panel with a server-rendered chart (inlined, so its text follows the theme) and SVG/PNG downloads.
export async function chartPanel(title, url, file, hint) {
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

// CSV and Parquet export buttons for a table view.
export function exportButtons(label, base, query) {
  const fetchFile = (format) => downloadFrom(`${base}${format}${query ? `?${query}` : ""}`, `export.${format}`, "export").catch(fail);
  return h("span", { class: "chart-actions" }, `${label}: `, h("button", { type: "button", class: "button", onclick: () => fetchFile("csv") }, "CSV"), h("button", { type: "button", class: "button", onclick: () => fetchFile("parquet") }, "Parquet"));
}

export function card(label, value, extra, id) {
  return h("div", { class: "card", id }, h("span", { class: "label" }, label), h("span", { class: `value${value === "suppressed" ? " suppressed" : ""}` }, value), extra);
}

// A labelled filter: "all", then `options` (values as the API spells them, shown with spaces for underscores).
export function select(label, name, options, value, onchange) {
  return h(
    "label",
    {},
    label,
    h("select", { name, onchange }, h("option", { value: "" }, "all"), ...options.map((o) => h("option", { value: o, selected: o === value }, words(o)))),
  );
}

// A table; a header given as {label, num: true} right-aligns its column.
export function table(caption, headers, rows) {
  return h(
    "table",
    {},
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, ...headers.map((x) => h("th", { scope: "col", class: x.num ? "num" : null }, x.label || x)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c, i) => h("td", { class: headers[i].num ? "num" : null }, c))))),
  );
}

// The region, credit group and age band filters, from the vocabulary; `update` gets the changed parameter.
export function filterSelects(vocab, state, update) {
  return [
    select("Region", "region", vocab.regions.map((r) => r.code), state.region, (e) => update({ region: e.target.value })),
    select("Credit group", "creditGroup", vocab.creditGroups, state.creditGroup, (e) => update({ creditGroup: e.target.value })),
    select("Age band", "ageBand", vocab.ageBands, state.ageBand, (e) => update({ ageBand: e.target.value })),
  ];
}

export function levelBadge(level) {
  return h("span", { class: `level ${level}` }, level);
}
