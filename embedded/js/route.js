// Routing by the URL fragment, #/name/arg?key=value, so a view and its state can be shared as a link.

export function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = hash.split("?");
  const [name, arg] = path.split("/");
  return { name: name || "", arg: arg ? decodeURIComponent(arg) : null, params: new URLSearchParams(query) };
}

// Opens view `name` with `params` (empty values left out); `replace` keeps the browser history as it is.
export function go(name, params = {}, arg = null, replace = false) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null)).toString();
  const hash = `#/${name}${arg ? `/${encodeURIComponent(arg)}` : ""}${query ? `?${query}` : ""}`;
  if (replace) history.replaceState(null, "", hash);
  else location.hash = hash;
}

// The region, credit group and age band filters of a view's parameters.
export function filterParams(params) {
  const out = {};
  for (const k of ["region", "creditGroup", "ageBand"]) if (params.get(k)) out[k] = params.get(k);
  return out;
}
