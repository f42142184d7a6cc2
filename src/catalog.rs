//! The warehouse's tables: their names, what the generator fills, and which may leave the appliance.
//!
//! This is the one list of tables. The DDL in `sql/schema.sql` defines their columns; a test checks the two agree.

pub mod regions;

use std::fmt;

/// A table of the warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    BankCustomers,
    BankEvents,
    BankOutcomes,
    InsurerMembers,
    InsurerConditions,
    InsurerClaims,
    DvSurvivors,
    DvIncidents,
    TruthCustomers,
    TruthSurvivors,
}

impl Table {
    /// Every table, in load and report order.
    pub const ALL: [Table; 10] = [
        Table::BankCustomers,
        Table::BankEvents,
        Table::BankOutcomes,
        Table::InsurerMembers,
        Table::InsurerConditions,
        Table::InsurerClaims,
        Table::DvSurvivors,
        Table::DvIncidents,
        Table::TruthCustomers,
        Table::TruthSurvivors,
    ];

    /// The qualified name, `schema.table`.
    pub fn name(self) -> &'static str {
        match self {
            Table::BankCustomers => "bank.customers",
            Table::BankEvents => "bank.events",
            Table::BankOutcomes => "bank.outcomes",
            Table::InsurerMembers => "insurer.members",
            Table::InsurerConditions => "insurer.conditions",
            Table::InsurerClaims => "insurer.claims",
            Table::DvSurvivors => "dv.survivors",
            Table::DvIncidents => "dv.incidents",
            Table::TruthCustomers => "truth.customers",
            Table::TruthSurvivors => "truth.survivors",
        }
    }

    /// Columns that are, or are derived from, raw internal keys: they never leave the appliance.
    pub fn internal_keys(self) -> &'static [&'static str] {
        match self {
            Table::BankEvents => &["person_key", "event_id"],
            Table::InsurerConditions => &["person_key", "condition_id"],
            Table::InsurerClaims => &["person_key", "claim_id"],
            Table::DvSurvivors | Table::TruthSurvivors => &["survivor_key"],
            Table::DvIncidents => &["incident_id", "survivor_key"],
            _ => &["person_key"],
        }
    }

    /// Whether `safehaven export` may write this table out.
    ///
    /// The DV service's tables stay inside: even without names, region, age, children and immigration status
    /// together can point at a person. `truth` is the evaluation ground truth and never leaves either.
    pub fn exportable(self) -> bool {
        !matches!(self, Table::DvSurvivors | Table::DvIncidents | Table::TruthCustomers | Table::TruthSurvivors)
    }

    /// The tables `export` accepts.
    pub fn exportable_tables() -> impl Iterator<Item = Table> {
        Table::ALL.into_iter().filter(|t| t.exportable())
    }

    /// Parses a qualified table name, case-insensitively.
    pub fn parse(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for table in Table::ALL {
            assert_eq!(Table::parse(table.name()), Some(table));
        }
        assert_eq!(Table::parse("BANK.Customers"), Some(Table::BankCustomers));
        assert_eq!(Table::parse("bank.nope"), None);
    }

    #[test]
    fn sensitive_tables_are_not_exportable() {
        let exportable: Vec<_> = Table::exportable_tables().map(Table::name).collect();
        assert!(exportable.contains(&"bank.customers"));
        assert!(!exportable.iter().any(|name| name.starts_with("truth.") || name.starts_with("dv.")));
    }
}
