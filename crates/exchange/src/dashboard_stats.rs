//! What the exchange dashboard shows (SPEC §7), computed from one
//! [`LedgerSnapshot`] and a "now": circulation, minted and burned, 24 h
//! volume and inflation, market state, top experts by ROI, recent value
//! signals. Pure: no store, no clock; `vp exchange dashboard` draws it.
//!
//! The window is `(now − window_us, now]`, the same half-open convention as
//! [`MarketWindow`]; a transaction at exactly `now − window_us` belongs to
//! the previous window.
//!
//! * Volume: the sum of the amounts of every transaction in the window,
//!   whatever its type (stakes, unstakes and routing fees included: they
//!   are activity even though they mint or burn nothing), and their count.
//! * Inflation: `(minted − burned in the window) / circulation at the
//!   window's start`, where the circulation at the start is everything
//!   minted minus everything burned by transactions at or before
//!   `now − window_us` (equal to the credits held then, since credits are
//!   conserved). `None` when that circulation is 0 (a ledger younger than
//!   the window, or one that burned everything): growth from nothing has no
//!   rate. A ratio, not a percentage: 0.05 is 5 % in the window.

use std::cmp::Ordering;

use serde::Serialize;

use crate::credits::Credits;
use crate::deprecation::deprecated_experts;
use crate::error::{ExchangeError, Result};
use crate::ledger_store::LedgerSnapshot;
use crate::market_state::{DEFAULT_WINDOW_US, MarketWindow};
use crate::transfer::{Party, Transaction, TxType};

/// One expert in the ROI ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopExpert {
    /// Expert id.
    pub id: String,
    /// Spendable credits.
    pub available: Credits,
    /// Credits locked by stakes.
    pub staked: Credits,
    /// Lifetime rewards and routing fees received.
    pub earned: Credits,
    /// Lifetime prediction costs, penalties and routing fees paid.
    pub spent: Credits,
    /// (earned − spent) / spent; `None` before anything is spent.
    pub roi: Option<f64>,
    /// wins / (wins + losses); `None` before any value signal.
    pub win_rate: Option<f64>,
    /// Whether a `deprecation` transaction retired the expert.
    pub deprecated: bool,
}

/// One value signal as it reached the ledger: a `value_reward` or a
/// `value_penalty`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecentSignal {
    /// Ledger sequence number.
    pub seq: i64,
    /// Transaction id.
    pub id: String,
    /// When it was applied, µs since the Unix epoch.
    pub time_us: i64,
    /// The expert rewarded or penalised.
    pub expert: String,
    /// `value_reward` or `value_penalty`.
    pub tx_type: TxType,
    /// Signed: positive for a reward, negative for a penalty.
    pub amount: Credits,
    /// The value signal behind it, if recorded.
    pub value_signal_id: Option<String>,
    /// Free text stored with the transaction.
    pub reason: String,
}

/// Everything the dashboard shows, at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DashboardStats {
    /// The moment the figures are for, µs since the Unix epoch.
    pub now_us: i64,
    /// Credits held by all accounts (available + staked + pending).
    pub circulation: Credits,
    /// Lifetime credits minted (`seed` + `value_reward`).
    pub minted: Credits,
    /// Lifetime credits burned (everything sent to the sink).
    pub burned: Credits,
    /// Sum of the amounts of the transactions in the window.
    pub volume: Credits,
    /// Number of transactions in the window.
    pub volume_count: usize,
    /// Circulation at the window's start: minted − burned by transactions
    /// at or before `now − window_us`.
    pub circulation_at_start: Credits,
    /// (minted − burned in the window) / [`Self::circulation_at_start`];
    /// `None` when that is 0.
    pub inflation: Option<f64>,
    /// Minted, burned and bull/bear over the window ending now.
    pub market: MarketWindow,
    /// The experts with the highest ROI, best first.
    pub top_experts: Vec<TopExpert>,
    /// The latest value signals, newest (highest sequence number) first.
    pub recent_signals: Vec<RecentSignal>,
    /// Number of transactions in the ledger.
    pub transactions: usize,
    /// Number of accounts in the ledger.
    pub accounts: usize,
}

impl DashboardStats {
    /// The figures of `snapshot` at `now_us` over the default 24 h window,
    /// with the `top` best experts by ROI and the `signals` latest value
    /// signals.
    pub fn compute(
        snapshot: &LedgerSnapshot,
        now_us: i64,
        top: usize,
        signals: usize,
    ) -> Result<DashboardStats> {
        Self::compute_window(snapshot, now_us, DEFAULT_WINDOW_US, top, signals)
    }

    /// As [`Self::compute`], over a window of `window_us` (> 0) ending at
    /// `now_us`.
    pub fn compute_window(
        snapshot: &LedgerSnapshot,
        now_us: i64,
        window_us: i64,
        top: usize,
        signals: usize,
    ) -> Result<DashboardStats> {
        let totals = snapshot.totals()?;
        let market = MarketWindow::compute(&snapshot.transactions, window_us, Some(now_us))?;
        let start = now_us.saturating_sub(window_us);
        let overflow = |what: &str| ExchangeError::Overflow { what: what.into() };

        let (mut volume, mut volume_count) = (Credits::ZERO, 0usize);
        let mut circulation_at_start = Credits::ZERO;
        for t in &snapshot.transactions {
            let a = t.transfer.amount;
            if t.time_us > start && t.time_us <= now_us {
                volume = volume
                    .checked_add(a)
                    .ok_or_else(|| overflow("24 h volume"))?;
                volume_count += 1;
            } else if t.time_us <= start {
                if t.transfer.tx_type.mints() {
                    circulation_at_start = circulation_at_start
                        .checked_add(a)
                        .ok_or_else(|| overflow("circulation at the window's start"))?;
                }
                if t.transfer.to == Party::Sink {
                    circulation_at_start = circulation_at_start
                        .checked_sub(a)
                        .ok_or_else(|| overflow("circulation at the window's start"))?;
                }
            }
        }
        let inflation = (circulation_at_start.micros() > 0).then(|| {
            (market.minted.micros() as f64 - market.burned.micros() as f64)
                / circulation_at_start.micros() as f64
        });

        Ok(DashboardStats {
            now_us,
            circulation: totals.held,
            minted: totals.minted,
            burned: totals.burned,
            volume,
            volume_count,
            circulation_at_start,
            inflation,
            market,
            top_experts: top_experts(snapshot, top),
            recent_signals: recent_signals(&snapshot.transactions, signals),
            transactions: snapshot.transactions.len(),
            accounts: snapshot.accounts.len(),
        })
    }
}

/// Best ROI first; experts that have spent nothing (no ROI) last; ties by
/// id.
fn by_roi(a: &TopExpert, b: &TopExpert) -> Ordering {
    match (a.roi, b.roi) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| a.id.cmp(&b.id))
}

fn top_experts(snapshot: &LedgerSnapshot, top: usize) -> Vec<TopExpert> {
    let deprecated = deprecated_experts(&snapshot.transactions);
    let mut experts: Vec<TopExpert> = snapshot
        .accounts
        .iter()
        .map(|(id, s)| TopExpert {
            id: id.clone(),
            available: s.available,
            staked: s.staked,
            earned: s.earned,
            spent: s.spent,
            roi: s.roi(),
            win_rate: s.win_rate(),
            deprecated: deprecated.contains(id),
        })
        .collect();
    experts.sort_by(by_roi);
    experts.truncate(top);
    experts
}

fn recent_signals(transactions: &[Transaction], signals: usize) -> Vec<RecentSignal> {
    transactions
        .iter()
        .rev()
        .filter_map(|t| {
            let tr = &t.transfer;
            let (expert, amount) = match tr.tx_type {
                TxType::ValueReward => (&tr.to, tr.amount),
                // Stored amounts are > 0, so the negation cannot overflow.
                TxType::ValuePenalty => (&tr.from, Credits::from_micros(-tr.amount.micros())),
                _ => return None,
            };
            Some(RecentSignal {
                seq: t.seq,
                id: tr.id.clone(),
                time_us: t.time_us,
                expert: expert.to_string(),
                tx_type: tr.tx_type,
                amount,
                value_signal_id: tr.value_signal_id.clone(),
                reason: tr.reason.clone(),
            })
        })
        .take(signals)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account_state::replay;
    use crate::ledger_sqlite::SqliteLedger;
    use crate::ledger_store::LedgerStore;
    use crate::market_state::MarketState;
    use crate::transfer::Transfer;

    const HOUR: i64 = 3_600_000_000;

    fn w(x: i64) -> Credits {
        Credits::from_whole(x).unwrap()
    }

    fn transfer(id: &str, ty: TxType, expert: &str, whole: i64) -> Transfer {
        let e = Party::expert(expert).unwrap();
        let (from, to) = match ty {
            TxType::Seed | TxType::ValueReward => (Party::Mint, e),
            TxType::Stake | TxType::Unstake => (e.clone(), e),
            _ => (e, Party::Sink),
        };
        Transfer::new(id, ty, from, to, w(whole))
    }

    #[test]
    fn dashboard_ranks_experts_by_roi_and_lists_signals_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = SqliteLedger::init(dir.path()).unwrap();
        let mut reward = transfer("r-a", TxType::ValueReward, "a", 30);
        reward.value_signal_id = Some("fb-1".into());
        reward.reason = "thumbs up".into();
        let mut penalty = transfer("p-b", TxType::ValuePenalty, "b", 5);
        penalty.reason = "ci fail".into();
        for t in [
            transfer("s-a", TxType::Seed, "a", 100),
            transfer("s-b", TxType::Seed, "b", 50),
            transfer("s-c", TxType::Seed, "c", 20),
            transfer("s-d", TxType::Seed, "d", 1),
            transfer("c-a", TxType::PredictionCost, "a", 10),
            transfer("c-b", TxType::PredictionCost, "b", 10),
            transfer("c-c", TxType::PredictionCost, "c", 4),
            reward,
            penalty,
            transfer("r-b", TxType::ValueReward, "b", 3),
            transfer("k-a", TxType::Stake, "a", 20),
            transfer("x-c", TxType::Deprecation, "c", 16),
        ] {
            l.apply(&t).unwrap();
        }
        let snap = l.snapshot().unwrap();
        let now = snap.transactions.iter().map(|t| t.time_us).max().unwrap();
        let s = DashboardStats::compute(&snap, now, 3, 2).unwrap();

        // Minted 100 + 50 + 20 + 1 + 30 + 3 = 204; burned 10 + 10 + 4 + 5
        // + 16 = 45; held a 100 − 10 + 30 = 120 (20 staked), b 50 − 10 − 5
        // + 3 = 38, c 0, d 1: 159 = 204 − 45.
        assert_eq!(s.minted, w(204));
        assert_eq!(s.burned, w(45));
        assert_eq!(s.circulation, w(159));
        // All twelve happened just now, inside the window.
        assert_eq!(s.volume_count, 12);
        // Seeds 171, costs 24, rewards 33, penalty 5, stake 20, deprecation 16.
        assert_eq!(s.volume, w(269));
        // The ledger is younger than the window: no rate.
        assert_eq!(s.circulation_at_start, Credits::ZERO);
        assert_eq!(s.inflation, None);
        assert_eq!(s.market.state, MarketState::Bull);
        assert_eq!((s.transactions, s.accounts), (12, 4));

        // ROI: a (30 − 10)/10 = 2, b (3 − 15)/15 = −0.8, c (0 − 4)/4 = −1,
        // d spent nothing (last, cut by top 3).
        let ids: Vec<&str> = s.top_experts.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let a = &s.top_experts[0];
        assert_eq!(
            (a.available, a.staked, a.earned, a.spent),
            (w(100), w(20), w(30), w(10))
        );
        assert_eq!(
            (a.roi, a.win_rate, a.deprecated),
            (Some(2.0), Some(1.0), false)
        );
        let b = &s.top_experts[1];
        assert!((b.roi.unwrap() + 0.8).abs() < 1e-12);
        assert_eq!(b.win_rate, Some(0.5));
        let c = &s.top_experts[2];
        assert_eq!((c.roi, c.win_rate, c.deprecated), (Some(-1.0), None, true));

        // Newest first, two of three: r-b (+3), p-b (−5).
        let sig: Vec<(&str, &str, Credits)> = s
            .recent_signals
            .iter()
            .map(|r| (r.id.as_str(), r.expert.as_str(), r.amount))
            .collect();
        assert_eq!(sig, [("r-b", "b", w(3)), ("p-b", "b", w(-5))]);
        assert_eq!(s.recent_signals[1].reason, "ci fail");
        let all = DashboardStats::compute(&snap, now, 10, 10).unwrap();
        assert_eq!(all.top_experts.len(), 4);
        assert_eq!(all.top_experts[3].id, "d");
        assert_eq!(all.recent_signals.len(), 3);
        assert_eq!(
            all.recent_signals[2].value_signal_id.as_deref(),
            Some("fb-1")
        );
        assert_eq!(all.recent_signals[2].tx_type, TxType::ValueReward);
    }

    #[test]
    fn dashboard_inflation_is_net_minting_over_circulation_at_window_start() {
        // Times in hours; now = 30 h, window (6 h, 30 h].
        let txs: Vec<Transaction> = [
            (0, transfer("s-a", TxType::Seed, "a", 200)), // before
            (2, transfer("c-a", TxType::PredictionCost, "a", 40)), // before
            (6, transfer("k-a", TxType::Stake, "a", 10)), // at the start: before
            (20, transfer("r-a", TxType::ValueReward, "a", 30)), // in
            (25, transfer("p-a", TxType::ValuePenalty, "a", 14)), // in
            (28, transfer("u-a", TxType::Unstake, "a", 10)), // in
            (31, transfer("s-b", TxType::Seed, "b", 7)),  // after now
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (h, t))| Transaction {
            seq: i as i64 + 1,
            time_us: h * HOUR,
            transfer: t,
        })
        .collect();
        let snap = LedgerSnapshot {
            accounts: replay(&txs).unwrap(),
            transactions: txs,
        };
        let s = DashboardStats::compute(&snap, 30 * HOUR, 10, 10).unwrap();
        // At 6 h: 200 − 40 = 160 in circulation. In the window: minted 30,
        // burned 14, so (30 − 14) / 160 = 0.1.
        assert_eq!(s.circulation_at_start, w(160));
        assert_eq!(s.inflation, Some(0.1));
        assert_eq!((s.market.minted, s.market.burned), (w(30), w(14)));
        assert_eq!(s.market.state, MarketState::Bull);
        // Volume 30 + 14 + 10 = 54 over three transactions.
        assert_eq!((s.volume, s.volume_count), (w(54), 3));
        // Circulation is what accounts hold, later seeds included: 176 + 7.
        assert_eq!(s.circulation, w(183));

        // A window that starts before the first transaction: no rate.
        let young = DashboardStats::compute_window(&snap, 30 * HOUR, 40 * HOUR, 10, 10).unwrap();
        assert_eq!(young.circulation_at_start, Credits::ZERO);
        assert_eq!(young.inflation, None);
        // Deflation: (0 − 14) / 176 over (24 h, 26 h].
        let d = DashboardStats::compute_window(&snap, 26 * HOUR, 2 * HOUR, 10, 10).unwrap();
        assert_eq!(d.circulation_at_start, w(190));
        assert_eq!(d.inflation, Some(-14.0 / 190.0));
        assert_eq!(d.market.state, MarketState::Bear);
        assert!(DashboardStats::compute_window(&snap, 0, 0, 1, 1).is_err());
    }

    #[test]
    fn dashboard_reads_consistent_snapshots_while_another_connection_writes() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = SqliteLedger::init(dir.path()).unwrap();
        let mut reader = SqliteLedger::open(dir.path()).unwrap();
        const N: usize = 100;
        let handle = std::thread::spawn(move || {
            for i in 0..N {
                let id = format!("e{}", i % 7);
                writer
                    .apply(&transfer(&format!("s{i}"), TxType::Seed, &id, 1))
                    .unwrap();
            }
        });
        loop {
            let snap = reader.snapshot().unwrap();
            // A window (0, i64::MAX]: every transaction is in it.
            let s = DashboardStats::compute_window(&snap, i64::MAX, i64::MAX, 10, 10).unwrap();
            // Each snapshot is whole: every seed it holds is in circulation.
            let n = s.transactions;
            assert_eq!(s.circulation, w(n as i64));
            assert_eq!((s.minted, s.volume_count), (w(n as i64), n));
            if n == N {
                break;
            }
        }
        handle.join().unwrap();
    }

    #[test]
    fn dashboard_of_an_empty_ledger_is_all_zero() {
        let s = DashboardStats::compute(&LedgerSnapshot::default(), 1, 10, 10).unwrap();
        assert_eq!(s.circulation, Credits::ZERO);
        assert_eq!(
            (s.minted, s.burned, s.volume),
            (Credits::ZERO, Credits::ZERO, Credits::ZERO)
        );
        assert_eq!((s.volume_count, s.inflation), (0, None));
        assert_eq!(s.market.state, MarketState::Bear);
        assert!(s.top_experts.is_empty() && s.recent_signals.is_empty());
    }
}
