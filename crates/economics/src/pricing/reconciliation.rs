//! Reconciliation of premiums against true-ups, per period (default 90
//! days) and per tier (SPEC §6): totals, refunds against bills, prediction
//! error; and the per-datapoint CSV of SPEC §6.

use super::quote::Quote;
use super::timestamp::{SECONDS_PER_DAY, format_rfc3339};
use super::true_up::TrueUp;
use crate::TierStats;
use crate::error::{EconomicsError, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// SPEC §6's per-datapoint log columns, in order.
pub const DATA_VALUE_COLUMNS: [&str; 12] = [
    "datapoint_id",
    "novelty_score",
    "causal_gain",
    "expected_mpl_gain",
    "confidence_lower",
    "confidence_upper",
    "kappa",
    "tier",
    "premium_quote",
    "sharing_status",
    "realized_mpl_gain",
    "trueup_amount",
];

/// Columns of `reconciliation.csv`.
pub const RECONCILIATION_COLUMNS: [&str; 15] = [
    "period",
    "period_start",
    "period_end",
    "tier",
    "quotes",
    "trued_up",
    "open",
    "premiums_billed",
    "premiums_realized",
    "refunds",
    "extra_bills",
    "net_trueup",
    "mean_abs_error",
    "mean_rel_error",
    "rel_error_count",
];

/// One period × tier line of the report (`tier` is `None` for all tiers).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReconciliationRow {
    /// 0-based period number from the first quote's day.
    pub period: u64,
    /// First second of the period (RFC 3339, UTC midnight).
    pub period_start: String,
    /// First second after it.
    pub period_end: String,
    /// The tier, or `None` for the period's total.
    pub tier: Option<u8>,
    /// Quotes issued in the period.
    pub quotes: usize,
    /// Of those, trued up.
    pub trued_up: usize,
    /// Of those, not yet trued up.
    pub open: usize,
    /// Sum of premiums quoted, dollars.
    pub premiums_billed: f64,
    /// Sum of realized premiums of the trued-up quotes, dollars.
    pub premiums_realized: f64,
    /// Sum of positive true-ups (paid back), dollars.
    pub refunds: f64,
    /// Sum of negative true-ups as positive amounts (billed extra), dollars.
    pub extra_bills: f64,
    /// refunds − extra_bills, dollars.
    pub net_trueup: f64,
    /// Mean |E[ΔMPL] − realized| over trued-up quotes; `None` without any.
    pub mean_abs_error: Option<f64>,
    /// Mean |E[ΔMPL] − realized| / |realized| over those with realized ≠ 0.
    pub mean_rel_error: Option<f64>,
    /// Quotes behind `mean_rel_error`.
    pub rel_error_count: usize,
}

/// The whole reconciliation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reconciliation {
    /// Days per period.
    pub period_days: u64,
    /// Period totals (`tier: None`) followed by each tier with quotes.
    pub rows: Vec<ReconciliationRow>,
    /// All periods together: the total and each tier (`period` holds the
    /// number of periods; the CSV writes `all`).
    pub overall: Vec<ReconciliationRow>,
    /// Expected against realized ΔMPL by tier, trued-up quotes only.
    pub tier_stats: TierStats,
    /// Where realized ΔMPL does not rise with the tier.
    pub tier_monotonicity_breaks: Vec<String>,
}

#[derive(Default)]
struct Acc {
    quotes: usize,
    trued_up: usize,
    billed: f64,
    realized: f64,
    refunds: f64,
    bills: f64,
    abs_err: f64,
    rel_err: f64,
    rel_n: usize,
}

impl Acc {
    fn add(&mut self, q: &Quote, t: Option<&TrueUp>) {
        self.quotes += 1;
        self.billed += q.terms.premium;
        if let Some(t) = t {
            self.trued_up += 1;
            self.realized += t.premium_realized;
            if t.trueup_amount > 0.0 {
                self.refunds += t.trueup_amount;
            } else {
                self.bills -= t.trueup_amount;
            }
            let err = (q.request.expected_mpl - t.realized_mpl).abs();
            self.abs_err += err;
            if t.realized_mpl != 0.0 {
                self.rel_err += err / t.realized_mpl.abs();
                self.rel_n += 1;
            }
        }
    }

    fn row(&self, period: u64, start: i64, end: i64, tier: Option<u8>) -> ReconciliationRow {
        ReconciliationRow {
            period,
            period_start: format_rfc3339(start),
            period_end: format_rfc3339(end),
            tier,
            quotes: self.quotes,
            trued_up: self.trued_up,
            open: self.quotes - self.trued_up,
            premiums_billed: self.billed,
            premiums_realized: self.realized,
            refunds: self.refunds,
            extra_bills: self.bills,
            net_trueup: self.refunds - self.bills,
            mean_abs_error: (self.trued_up > 0).then(|| self.abs_err / self.trued_up as f64),
            mean_rel_error: (self.rel_n > 0).then(|| self.rel_err / self.rel_n as f64),
            rel_error_count: self.rel_n,
        }
    }
}

impl Reconciliation {
    /// Reconciles `quotes` with their `true_ups`, in periods of
    /// `period_days` from UTC midnight of the first quote's day (a quote
    /// belongs to the period it was issued in).
    pub fn new(quotes: &[Quote], true_ups: &[TrueUp], period_days: u64) -> Result<Self> {
        if period_days == 0 {
            return Err(EconomicsError::OutOfRange {
                field: "period_days",
                expected: ">= 1",
                value: 0.0,
            });
        }
        let by_quote: HashMap<&str, &TrueUp> =
            true_ups.iter().map(|t| (t.quote_id.as_str(), t)).collect();
        let period_secs = i64::try_from(period_days)
            .unwrap_or(i64::MAX / SECONDS_PER_DAY)
            .saturating_mul(SECONDS_PER_DAY);
        let origin = quotes
            .iter()
            .map(|q| q.issued_at)
            .min()
            .map_or(0, |t| t.div_euclid(SECONDS_PER_DAY) * SECONDS_PER_DAY);
        let mut periods: std::collections::BTreeMap<u64, [Acc; 4]> = Default::default();
        let mut overall: [Acc; 4] = Default::default();
        let mut triples = Vec::new();
        for q in quotes {
            let t = by_quote.get(q.quote_id.as_str()).copied();
            let k = u64::try_from((q.issued_at - origin) / period_secs).unwrap_or(0);
            let accs = periods.entry(k).or_default();
            let tier = usize::from(q.terms.tier.min(2));
            for i in [0, 1 + tier] {
                accs[i].add(q, t);
                overall[i].add(q, t);
            }
            if let Some(t) = t {
                triples.push((q.terms.tier, q.request.expected_mpl, t.realized_mpl));
            }
        }
        let span = |k: u64| {
            let start = origin.saturating_add((k as i64).saturating_mul(period_secs));
            (start, start.saturating_add(period_secs))
        };
        let mut rows = Vec::new();
        for (&k, accs) in &periods {
            let (start, end) = span(k);
            rows.extend(rows_of(accs, k, start, end));
        }
        let (first, last) = (
            periods.keys().next().copied().unwrap_or(0),
            periods.keys().last().copied().unwrap_or(0),
        );
        let overall_rows = rows_of(&overall, 0, span(first).0, span(last).1)
            .into_iter()
            .map(|mut r| {
                r.period = last + 1;
                r
            })
            .collect();
        let tier_stats = TierStats::from_triples(triples);
        Ok(Self {
            period_days,
            rows,
            overall: overall_rows,
            tier_monotonicity_breaks: tier_stats.monotonicity_breaks(),
            tier_stats,
        })
    }

    /// Writes `reconciliation.csv` (the periods, then the overall lines
    /// with period `all`) into `dir`.
    pub fn write_csv(&self, dir: &Path) -> Result<()> {
        let mut lines = vec![RECONCILIATION_COLUMNS.join(",")];
        let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        let periods = self.rows.iter().map(|r| (r.period.to_string(), r));
        let overall = self.overall.iter().map(|r| ("all".to_owned(), r));
        for (period, r) in periods.chain(overall) {
            lines.push(
                [
                    period,
                    r.period_start.clone(),
                    r.period_end.clone(),
                    r.tier.map_or_else(|| "all".to_owned(), |t| t.to_string()),
                    r.quotes.to_string(),
                    r.trued_up.to_string(),
                    r.open.to_string(),
                    r.premiums_billed.to_string(),
                    r.premiums_realized.to_string(),
                    r.refunds.to_string(),
                    r.extra_bills.to_string(),
                    r.net_trueup.to_string(),
                    opt(r.mean_abs_error),
                    opt(r.mean_rel_error),
                    r.rel_error_count.to_string(),
                ]
                .join(","),
            );
        }
        write_atomic(&dir.join("reconciliation.csv"), &(lines.join("\n") + "\n"))
    }
}

fn rows_of(accs: &[Acc; 4], k: u64, start: i64, end: i64) -> Vec<ReconciliationRow> {
    let mut rows = vec![accs[0].row(k, start, end, None)];
    for tier in 0..3u8 {
        let acc = &accs[1 + usize::from(tier)];
        if acc.quotes > 0 {
            rows.push(acc.row(k, start, end, Some(tier)));
        }
    }
    rows
}

/// Writes SPEC §6's per-datapoint CSV (`data_value.csv` columns) for the
/// quotes and their true-ups to `path`. Unknown values are empty cells.
pub fn write_data_value_csv(path: &Path, quotes: &[Quote], true_ups: &[TrueUp]) -> Result<()> {
    let by_quote: HashMap<&str, &TrueUp> =
        true_ups.iter().map(|t| (t.quote_id.as_str(), t)).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let bad = |e: csv::Error| EconomicsError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    w.write_record(DATA_VALUE_COLUMNS).map_err(bad)?;
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for q in quotes {
        let t = by_quote.get(q.quote_id.as_str());
        let r = &q.request;
        w.write_record([
            q.datapoint_id().to_owned(),
            opt(r.novelty),
            opt(r.causal_gain),
            r.expected_mpl.to_string(),
            r.lower.to_string(),
            opt(r.upper),
            q.terms.kappa.to_string(),
            q.terms.tier.to_string(),
            q.terms.premium.to_string(),
            match r.sharing {
                crate::SharingStatus::Withheld => "withheld".to_owned(),
                crate::SharingStatus::Shared => "shared".to_owned(),
            },
            opt(t.map(|t| t.realized_mpl)),
            opt(t.map(|t| t.trueup_amount)),
        ])
        .map_err(bad)?;
    }
    let bytes = w.into_inner().map_err(|e| EconomicsError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    write_atomic(path, &String::from_utf8_lossy(&bytes))
}

/// Writes `text` to a temporary file beside `path`, syncs it and renames
/// it over `path`: a reader sees the old file or the new one, never half.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let err = |e: std::io::Error| EconomicsError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp_name);
    let mut f = std::fs::File::create(&tmp).map_err(err)?;
    f.write_all(text.as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::quote_request::tests::spec_request;
    use crate::pricing::true_up::true_up;

    fn quote(id: u32, issued_at: i64, expected: f64) -> Quote {
        let request = QuoteRequest {
            expected_mpl: expected,
            lower: expected * 0.8,
            ..spec_request()
        };
        Quote {
            quote_id: format!("Q-{id:06}"),
            issued_at,
            due_at: issued_at + 90 * SECONDS_PER_DAY,
            terms: request.terms().unwrap(),
            request,
        }
    }
    use crate::pricing::quote_request::QuoteRequest;

    #[test]
    fn reconciliation_splits_periods_and_tiers_and_balances_refunds_against_bills() {
        let day = SECONDS_PER_DAY;
        let quotes = vec![
            quote(1, 10 * day, 6.0),
            quote(2, 20 * day, 1.0),
            quote(3, 100 * day, 6.0),
        ];
        let t1 = true_up(&quotes[0], 4.5, 95 * day).unwrap(); // refund 360
        let t3 = true_up(&quotes[2], 7.0, 190 * day).unwrap(); // bill 240
        let rec = Reconciliation::new(&quotes, &[t1, t3], 90).unwrap();
        let totals: Vec<_> = rec.rows.iter().filter(|r| r.tier.is_none()).collect();
        assert_eq!(totals.len(), 2);
        assert_eq!(
            (totals[0].quotes, totals[0].trued_up, totals[0].open),
            (2, 1, 1)
        );
        assert!((totals[0].refunds - 360.0).abs() < 1e-9);
        assert!((totals[1].extra_bills - 240.0).abs() < 1e-9);
        let all = &rec.overall[0];
        assert!((all.net_trueup - 120.0).abs() < 1e-9);
        assert!((all.mean_abs_error.unwrap() - 1.25).abs() < 1e-12);
        assert_eq!(rec.tier_stats.tiers[2].count, 2);
        assert_eq!(totals[0].period_start, "1970-01-11T00:00:00Z");
    }

    #[test]
    fn data_value_csv_has_the_spec_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data_value.csv");
        let q = quote(1, 0, 6.0);
        let t = true_up(&q, 4.5, 1).unwrap();
        write_data_value_csv(&path, &[q], &[t]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), DATA_VALUE_COLUMNS.join(","));
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(row[0], "Q-000001");
        assert_eq!(row[9], "withheld");
        assert_eq!(row[10], "4.5");
    }
}
