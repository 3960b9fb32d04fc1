//! A BLS Standard Occupational Classification code such as `47-2021`.

use crate::error::{EconomicsError, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A SOC occupation code of the form `NN-NNNN`, as used by BLS OEWS
/// (e.g. `35-9021` dishwashers, `47-2021` brickmasons and blockmasons).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OccupationCode(String);

impl OccupationCode {
    /// Parses and validates a code: two digits, a hyphen, four digits.
    pub fn parse(code: &str) -> Result<Self> {
        let trimmed = code.trim();
        let bytes = trimmed.as_bytes();
        let well_formed = bytes.len() == 7
            && bytes[2] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 2 || b.is_ascii_digit());
        if well_formed {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(EconomicsError::InvalidOccupationCode {
                code: code.to_owned(),
            })
        }
    }

    /// The code as text, e.g. `47-2021`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OccupationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OccupationCode {
    type Err = EconomicsError;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl Serialize for OccupationCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OccupationCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(|_| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(&text),
                &"a SOC occupation code of the form NN-NNNN (e.g. 47-2021)",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occupation_code_accepts_soc_form() {
        assert_eq!(
            OccupationCode::parse("47-2021").unwrap().as_str(),
            "47-2021"
        );
        assert_eq!(
            OccupationCode::parse(" 35-9021 ").unwrap().as_str(),
            "35-9021"
        );
    }

    #[test]
    fn occupation_code_rejects_malformed_text() {
        for bad in [
            "", "472021", "47-202", "47_2021", "4a-2021", "47-20210", "47--021",
        ] {
            assert!(OccupationCode::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
