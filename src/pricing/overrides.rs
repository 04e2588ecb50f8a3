//! User price overrides: a file in the config directory in the table's own shape, laid over the
//! embedded book (see the module docs).

use std::path::Path;

use serde_json::{Map, Value};

use super::PricingError;
use super::table::{Price, PriceBook, raw_entries};

impl PriceBook {
    /// This book with the user's override file (JSON or TOML, see [`user_overrides`]) applied.
    pub fn with_overrides(&self, path: &Path) -> Result<PriceBook, PricingError> {
        let overrides = user_overrides(path, self)?;
        let mut book = self.clone();
        book.merge(overrides);
        Ok(book)
    }
}

/// Reads a user price file: TOML when the extension is `.toml`, JSON otherwise. Entries use the
/// LiteLLM field names; `same_as = "<model>"` starts an entry from another model's price in
/// `base` (looked up with the normal ladder), and an entry whose key already exists in `base`
/// starts from that entry, so a file may change a single field.
pub fn user_overrides(path: &Path, base: &PriceBook) -> Result<PriceBook, PricingError> {
    let text = std::fs::read_to_string(path).map_err(|source| PricingError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if is_toml {
        parse_overrides_toml(&text, base)
    } else {
        parse_overrides_json(&text, base)
    }
}

/// Parses override entries from JSON text (see [`user_overrides`]).
pub fn parse_overrides_json(text: &str, base: &PriceBook) -> Result<PriceBook, PricingError> {
    let root: Value = serde_json::from_str(text)?;
    overrides_from_value(root, base)
}

/// Parses override entries from TOML text (see [`user_overrides`]).
pub fn parse_overrides_toml(text: &str, base: &PriceBook) -> Result<PriceBook, PricingError> {
    let table: Map<String, Value> = toml::from_str(text)?;
    overrides_from_value(Value::Object(table), base)
}

fn overrides_from_value(root: Value, base: &PriceBook) -> Result<PriceBook, PricingError> {
    let mut book = PriceBook::default();
    for (key, entry) in raw_entries(root)? {
        let start = match &entry.same_as {
            Some(target) => base
                .lookup(target, None)
                .map(|m| m.price.clone())
                .ok_or_else(|| PricingError::UnknownAlias {
                    key: key.clone(),
                    target: target.clone(),
                })?,
            None => match base.get(&key) {
                Some(p) => p.clone(),
                None if entry.has_token_price() => Price::default(),
                None => {
                    return Err(PricingError::InvalidEntry {
                        key,
                        reason: "needs input_cost_per_token or output_cost_per_token \
                                 (or same_as)"
                            .to_string(),
                    });
                }
            },
        };
        let price = entry.apply_to(start);
        book.insert(key, price);
    }
    Ok(book)
}

/// The book every cost is computed with once [`PriceBook::install_user_overrides`] ran.
static ACTIVE: std::sync::OnceLock<PriceBook> = std::sync::OnceLock::new();

impl PriceBook {
    /// The prices in force for this process: the embedded table with the user's override file
    /// laid over it when the configuration names one (installed at start-up), else the
    /// embedded table. Imports, the receiver, the remote pull, replay and the judge's cost
    /// estimates all price with this book, so a private model priced in `prices.toml` gets a
    /// cost everywhere.
    pub fn active() -> &'static PriceBook {
        ACTIVE.get().unwrap_or_else(|| PriceBook::embedded())
    }

    /// Lays the user's override file over the embedded table for the rest of the process.
    /// Called once at start-up; a second call keeps the first book (the process prices with one
    /// book throughout, so an import never mixes two).
    pub fn install_user_overrides(path: &Path) -> Result<(), PricingError> {
        let book = PriceBook::embedded().with_overrides(path)?;
        let _ = ACTIVE.set(book);
        Ok(())
    }
}
