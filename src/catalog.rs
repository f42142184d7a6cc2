//! The vocabulary every layer shares: the warehouse's tables (their names, keys, and which may leave the
//! appliance), the regions, the credit groups with their score bands, and the age bands. A leaf: it uses nothing
//! in the crate.
//!
//! This is the one list of each. The DDL in `sql/seed/schema.sql` defines the tables' columns; a test checks the
//! two agree. The server's vocabulary route hands these lists to the dashboard, which keeps no copy.

pub mod regions;

pub use regions::{REGIONS, Region};

use std::fmt;

/// Credit groups by score band, from the deepest subprime up, as the warehouse spells them: (name, lowest score
/// in the band).
pub const CREDIT_GROUPS: [(&str, i16); 5] =
    [("deep_subprime", 300), ("subprime", 580), ("near_prime", 620), ("prime", 660), ("super_prime", 720)];

/// The credit groups' names, in [`CREDIT_GROUPS`] order.
pub const CREDIT_GROUP_NAMES: [&str; 5] = {
    let mut names = [""; 5];
    let mut i = 0;
    while i < names.len() {
        names[i] = CREDIT_GROUPS[i].0;
        i += 1;
    }
    names
};

/// The credit group a score falls in.
pub fn credit_group_of(score: i16) -> &'static str {
    CREDIT_GROUPS.iter().rev().find(|(_, low)| score >= *low).map_or(CREDIT_GROUPS[0].0, |(name, _)| name)
}

/// Age bands, youngest first, as the warehouse spells them.
pub const AGE_BANDS: [&str; 6] = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"];

/// A name that is not in one of the vocabulary's lists; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`; {valid}")]
pub struct Unknown {
    pub what: &'static str,
    pub value: String,
    pub valid: String,
}

/// The region with exactly this two-letter code.
pub fn region(code: &str) -> Result<&'static Region, Unknown> {
    REGIONS.iter().find(|r| r.code == code).ok_or_else(|| Unknown {
        what: "region",
        value: code.to_owned(),
        valid: format!("regions are two-letter codes: {}", region_codes().join(", ")),
    })
}

/// Every region's code, in [`REGIONS`] order.
pub fn region_codes() -> Vec<&'static str> {
    REGIONS.iter().map(|r| r.code).collect()
}

/// The credit group with exactly this name.
pub fn credit_group(name: &str) -> Result<&'static str, Unknown> {
    CREDIT_GROUP_NAMES.iter().find(|g| **g == name).copied().ok_or_else(|| Unknown {
        what: "credit group",
        value: name.to_owned(),
        valid: format!("credit groups: {}", CREDIT_GROUP_NAMES.join(", ")),
    })
}

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
    fn credit_groups_follow_score_bands() {
        assert_eq!(CREDIT_GROUP_NAMES, ["deep_subprime", "subprime", "near_prime", "prime", "super_prime"]);
        assert_eq!(credit_group_of(300), "deep_subprime");
        assert_eq!(credit_group_of(579), "deep_subprime");
        assert_eq!(credit_group_of(580), "subprime");
        assert_eq!(credit_group_of(659), "near_prime");
        assert_eq!(credit_group_of(719), "prime");
        assert_eq!(credit_group_of(850), "super_prime");
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        assert_eq!(region("OH").map(|r| r.name), Ok("Ohio"));
        let err = region("oh").unwrap_err().to_string();
        assert!(err.starts_with("unknown region `oh`; regions are two-letter codes: AK, AL"), "{err}");
        assert_eq!(credit_group("prime"), Ok("prime"));
        let err = credit_group("platinum").unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown credit group `platinum`; credit groups: deep_subprime, subprime, near_prime, prime, super_prime"
        );
    }

    #[test]
    fn sensitive_tables_are_not_exportable() {
        let exportable: Vec<_> = Table::exportable_tables().map(Table::name).collect();
        assert!(exportable.contains(&"bank.customers"));
        assert!(!exportable.iter().any(|name| name.starts_with("truth.") || name.starts_with("dv.")));
    }
}
