//! Exact money: credits as an integer count of micro-credits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ExchangeError, Result};

/// Micro-credits in one credit.
pub const MICROS_PER_CREDIT: i64 = 1_000_000;

/// An amount of ATP credits, stored exactly as `i64` micro-credits (never a
/// float in storage). Serialises as the integer number of micro-credits.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Credits(i64);

impl Credits {
    /// Zero credits.
    pub const ZERO: Credits = Credits(0);

    /// From a count of micro-credits.
    pub const fn from_micros(micros: i64) -> Self {
        Credits(micros)
    }

    /// From a whole number of credits; `None` on overflow.
    pub const fn from_whole(credits: i64) -> Option<Self> {
        match credits.checked_mul(MICROS_PER_CREDIT) {
            Some(m) => Some(Credits(m)),
            None => None,
        }
    }

    /// The amount in micro-credits.
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// The amount in credits as a float, for display and ratios only.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_CREDIT as f64
    }

    /// Sum, `None` on overflow.
    pub const fn checked_add(self, other: Credits) -> Option<Credits> {
        match self.0.checked_add(other.0) {
            Some(m) => Some(Credits(m)),
            None => None,
        }
    }

    /// Difference, `None` on overflow.
    pub const fn checked_sub(self, other: Credits) -> Option<Credits> {
        match self.0.checked_sub(other.0) {
            Some(m) => Some(Credits(m)),
            None => None,
        }
    }
}

impl fmt::Display for Credits {
    /// Credits with six decimals, e.g. `12.500000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let per = MICROS_PER_CREDIT as u64;
        write!(f, "{sign}{}.{:06}", abs / per, abs % per)
    }
}

impl FromStr for Credits {
    type Err = ExchangeError;

    /// Parses a decimal number of credits with at most six decimals
    /// (`12`, `12.5`, `0.000001`), exactly, without going through a float.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |expected: &'static str| ExchangeError::BadAmount {
            got: s.to_string(),
            expected,
        };
        let t = s.trim();
        let (neg, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let is_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && frac.is_empty() || !is_digits(whole) || !is_digits(frac) {
            return Err(bad("a decimal number of credits such as 12.5"));
        }
        if frac.len() > 6 {
            return Err(bad("at most six decimals (one micro-credit)"));
        }
        let overflow = || ExchangeError::Overflow {
            what: format!("amount {s}"),
        };
        let w: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| overflow())?
        };
        let f: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<6}").parse().map_err(|_| overflow())?
        };
        let micros = w
            .checked_mul(MICROS_PER_CREDIT)
            .and_then(|m| m.checked_add(f))
            .ok_or_else(overflow)?;
        Ok(Credits(if neg { -micros } else { micros }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_parse_and_print_exactly() {
        let c: Credits = "12.5".parse().unwrap();
        assert_eq!(c.micros(), 12_500_000);
        assert_eq!(c.to_string(), "12.500000");
        assert_eq!("0.000001".parse::<Credits>().unwrap().micros(), 1);
        assert_eq!("-3".parse::<Credits>().unwrap().to_string(), "-3.000000");
        assert!("1.0000001".parse::<Credits>().is_err());
        assert!("abc".parse::<Credits>().is_err());
        assert!(".".parse::<Credits>().is_err());
        assert!("99999999999999999999".parse::<Credits>().is_err());
    }
}
