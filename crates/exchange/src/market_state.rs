//! Market state (SPEC §7): bull when more credits were minted than burned
//! over a window ending at the latest transaction (default 24 h), bear
//! otherwise (an empty window is bear: nothing is being created). In a bear
//! market only proven experts are consulted and weak ones are deprecated
//! (see [`crate::ExpertStanding`] and [`crate::MarketPolicy`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::credits::Credits;
use crate::error::{ExchangeError, Result};
use crate::transfer::{Party, Transaction};

/// Default window: 24 hours, in microseconds.
pub const DEFAULT_WINDOW_US: i64 = 24 * 3600 * 1_000_000;

/// Bull or bear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketState {
    /// More minted than burned over the window.
    Bull,
    /// As much or more burned than minted.
    Bear,
}

impl MarketState {
    /// `bull` or `bear`.
    pub const fn as_str(self) -> &'static str {
        match self {
            MarketState::Bull => "bull",
            MarketState::Bear => "bear",
        }
    }
}

impl fmt::Display for MarketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Supply over a window and the state it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketWindow {
    /// Bull or bear.
    pub state: MarketState,
    /// Credits minted in the window.
    pub minted: Credits,
    /// Credits burned in the window.
    pub burned: Credits,
    /// Window end (the latest transaction's time, or the given end), µs.
    pub end_us: i64,
    /// Window length, µs.
    pub window_us: i64,
}

impl MarketWindow {
    /// The window `(end − window_us, end]` over `transactions`; `end_us`
    /// defaults to the latest transaction's time (0 for an empty ledger).
    pub fn compute(
        transactions: &[Transaction],
        window_us: i64,
        end_us: Option<i64>,
    ) -> Result<MarketWindow> {
        if window_us <= 0 {
            return Err(ExchangeError::OutOfRange {
                field: "market window_us",
                expected: "> 0",
                value: window_us as f64,
            });
        }
        let end_us =
            end_us.unwrap_or_else(|| transactions.iter().map(|t| t.time_us).max().unwrap_or(0));
        let start = end_us.saturating_sub(window_us);
        let (mut minted, mut burned) = (0i64, 0i64);
        for t in transactions
            .iter()
            .filter(|t| t.time_us > start && t.time_us <= end_us)
        {
            let a = t.transfer.amount.micros();
            if t.transfer.tx_type.mints() {
                minted = minted.saturating_add(a);
            }
            if t.transfer.to == Party::Sink {
                burned = burned.saturating_add(a);
            }
        }
        Ok(MarketWindow {
            state: if minted > burned {
                MarketState::Bull
            } else {
                MarketState::Bear
            },
            minted: Credits::from_micros(minted),
            burned: Credits::from_micros(burned),
            end_us,
            window_us,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::{Transfer, TxType};

    fn tx(seq: i64, hours: i64, ty: TxType, whole: i64) -> Transaction {
        let (from, to) = match ty {
            TxType::Seed | TxType::ValueReward => (Party::Mint, Party::expert("a").unwrap()),
            TxType::Stake => (Party::expert("a").unwrap(), Party::expert("a").unwrap()),
            _ => (Party::expert("a").unwrap(), Party::Sink),
        };
        Transaction {
            seq,
            time_us: hours * 3_600_000_000,
            transfer: Transfer::new(
                format!("t{seq}"),
                ty,
                from,
                to,
                Credits::from_whole(whole).unwrap(),
            ),
        }
    }

    #[test]
    fn market_is_bull_when_more_is_minted_than_burned_in_the_window() {
        let txs = [
            tx(1, 0, TxType::Seed, 1000),         // outside (0 ≤ 30 − 24)
            tx(2, 5, TxType::PredictionCost, 40), // outside (5 ≤ 6)
            tx(3, 20, TxType::ValueReward, 30),   // in: minted 30
            tx(4, 25, TxType::ValuePenalty, 20),  // in: burned 20
            tx(5, 28, TxType::Stake, 500),        // in, neither
            tx(6, 30, TxType::PredictionCost, 5), // in: burned 25
        ];
        // Window (6 h, 30 h]: minted 30 > burned 20 + 5 = 25 → bull.
        let w = MarketWindow::compute(&txs, DEFAULT_WINDOW_US, None).unwrap();
        assert_eq!(w.state, MarketState::Bull);
        assert_eq!(w.minted, Credits::from_whole(30).unwrap());
        assert_eq!(w.burned, Credits::from_whole(25).unwrap());
        // A 12 h window (18 h, 30 h] is the same; a 6 h window (24 h, 30 h]
        // has minted 0, burned 25 → bear.
        let w = MarketWindow::compute(&txs, 6 * 3_600_000_000, None).unwrap();
        assert_eq!(w.state, MarketState::Bear);
        // Window (19 h, 25 h]: minted 30, burned 20 → bull.
        let w = MarketWindow::compute(&txs, 6 * 3_600_000_000, Some(25 * 3_600_000_000)).unwrap();
        assert_eq!(w.state, MarketState::Bull);
        // Minted 10 = burned 10 → bear.
        let even = [
            tx(1, 1, TxType::Seed, 10),
            tx(2, 2, TxType::PredictionCost, 10),
        ];
        let w = MarketWindow::compute(&even, DEFAULT_WINDOW_US, None).unwrap();
        assert_eq!(w.state, MarketState::Bear);
        assert_eq!(
            MarketWindow::compute(&[], DEFAULT_WINDOW_US, None)
                .unwrap()
                .state,
            MarketState::Bear
        );
        assert!(MarketWindow::compute(&txs, 0, None).is_err());
    }
}
