// Number formats for people to read; a suppressed figure (null) says so instead of showing a number.

export const fmt = new Intl.NumberFormat("en-US");
export const pct = (v, digits = 1) => (v == null ? "suppressed" : `${(100 * v).toFixed(digits)} %`);
export const num = (v) => (v == null ? "suppressed" : fmt.format(Math.round(v)));
export const money = (v) => (v == null ? "suppressed" : `$${fmt.format(Math.round(v))}`);
export const signed = (v, f) => (v == null ? "–" : `${v >= 0 ? "+" : "−"}${f(Math.abs(v))}`);
// A name as the warehouse spells it ("near_prime"), as people read it ("near prime").
export const words = (name) => String(name).replace(/_/g, " ");
export const drillDay = (d) => (d == null ? "–" : `day ${d.toFixed(1)}`);
// A noisy figure (differential privacy) as people should read it: "≈ value ± its 95 % half-width"; exact
// figures (no half-width) as they are.
export const approx = (v, half, f) => (v == null || half == null ? f(v) : `≈ ${f(v)} ± ${f(half)}`);
