//! The analyst's rendered queries, run on the warehouse: to check that an answer's SQL gives its figures, and
//! that every fragment of the semantic model (`sql/analyst/semantic.toml`) is valid SQL here (`EXPLAIN`). The
//! queries come only from the semantic model's fragments and shapes; values are bound parameters.

use super::{Result, Warehouse};
use duckdb::types::{Value, ValueRef};

fn bind(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::String(s) => Value::Text(s.clone()),
        serde_json::Value::Bool(b) => Value::Boolean(*b),
        serde_json::Value::Number(n) if n.is_i64() => Value::BigInt(n.as_i64().unwrap_or_default()),
        serde_json::Value::Number(n) => Value::Double(n.as_f64().unwrap_or_default()),
        _ => Value::Null,
    }
}

fn json(value: ValueRef<'_>) -> serde_json::Value {
    match value {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Boolean(b) => serde_json::json!(b),
        ValueRef::TinyInt(v) => serde_json::json!(v),
        ValueRef::SmallInt(v) => serde_json::json!(v),
        ValueRef::Int(v) => serde_json::json!(v),
        ValueRef::BigInt(v) => serde_json::json!(v),
        ValueRef::HugeInt(v) => serde_json::json!(v as f64),
        ValueRef::UTinyInt(v) => serde_json::json!(v),
        ValueRef::USmallInt(v) => serde_json::json!(v),
        ValueRef::UInt(v) => serde_json::json!(v),
        ValueRef::UBigInt(v) => serde_json::json!(v),
        ValueRef::Float(v) => serde_json::json!(v),
        ValueRef::Double(v) => serde_json::json!(v),
        ValueRef::Decimal(d) => serde_json::json!(d.to_string().parse::<f64>().unwrap_or(f64::NAN)),
        ValueRef::Text(t) => serde_json::json!(String::from_utf8_lossy(t)),
        other => serde_json::json!(format!("{other:?}")),
    }
}

impl Warehouse {
    /// Runs a query the analyst rendered, with its parameters; every row as JSON values, in column order.
    pub fn analyst_query(&self, sql: &str, parameters: &[serde_json::Value]) -> Result<Vec<Vec<serde_json::Value>>> {
        let values: Vec<Value> = parameters.iter().map(bind).collect();
        let mut stmt = self.conn.prepare(sql)?;
        let mut rows = stmt.query(duckdb::params_from_iter(values))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let n = row.as_ref().column_count();
            out.push((0..n).map(|i| row.get_ref(i).map(json).unwrap_or(serde_json::Value::Null)).collect());
        }
        Ok(out)
    }

    /// Plans `sql` without running it (`explain` is the semantic model's `EXPLAIN {sql}` shape).
    pub fn analyst_explain(&self, explain: &str, sql: &str, parameters: &[serde_json::Value]) -> Result<()> {
        let values: Vec<Value> = parameters.iter().map(bind).collect();
        let mut stmt = self.conn.prepare(&explain.replace("{sql}", sql))?;
        let mut rows = stmt.query(duckdb::params_from_iter(values))?;
        while rows.next()?.is_some() {}
        Ok(())
    }
}
