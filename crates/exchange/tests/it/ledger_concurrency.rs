//! Several connections transferring from one account at once never
//! overdraw and conserve credits; one id submitted by all applies once.

use std::sync::Arc;

use exchange::{ExchangeError, TxType};

use crate::both_stores;
use crate::common::{Backend, c, tr};

both_stores!(concurrent_writers_never_overdraw);

const THREADS: usize = 4;
const TRIES: usize = 30;

fn concurrent_writers_never_overdraw(b: &Backend) {
    let mut l = b.open().unwrap();
    // 50 credits for 4 × 30 = 120 attempts of 1 credit.
    l.apply(&tr("seed", TxType::Seed, "mint", "shared", 50))
        .unwrap();
    l.apply(&tr("seed-b", TxType::Seed, "mint", "other", 1))
        .unwrap();
    let b = Arc::new(b);
    let results: Vec<(usize, usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|k| {
                let b = Arc::clone(&b);
                s.spawn(move || {
                    let mut l = b.open().unwrap();
                    let (mut ok, mut refused, mut fresh_dups) = (0, 0, 0);
                    for i in 0..TRIES {
                        let t = if i % 3 == 0 {
                            tr(
                                &format!("fee-{k}-{i}"),
                                TxType::RoutingFee,
                                "shared",
                                "other",
                                1,
                            )
                        } else {
                            tr(
                                &format!("cost-{k}-{i}"),
                                TxType::PredictionCost,
                                "shared",
                                "sink",
                                1,
                            )
                        };
                        match l.apply(&t) {
                            Ok(a) => {
                                assert!(!a.duplicate);
                                ok += 1;
                            }
                            Err(ExchangeError::InsufficientFunds { .. }) => refused += 1,
                            Err(e) => panic!("thread {k}: {e}"),
                        }
                        // Every thread submits the same id: it applies once.
                        let same = tr(
                            &format!("same-{i}"),
                            TxType::ValueReward,
                            "mint",
                            "other",
                            1,
                        );
                        if !l.apply(&same).unwrap().duplicate {
                            fresh_dups += 1;
                        }
                    }
                    (ok, refused, fresh_dups)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok: usize = results.iter().map(|r| r.0).sum();
    let refused: usize = results.iter().map(|r| r.1).sum();
    let fresh: usize = results.iter().map(|r| r.2).sum();
    assert_eq!(ok, 50, "exactly the funded transfers succeed");
    assert_eq!(refused, THREADS * TRIES - 50);
    assert_eq!(fresh, TRIES, "each shared id applied once");
    let report = l.check_integrity().unwrap();
    assert_eq!(l.account("shared").unwrap().unwrap().available, c(0));
    assert_eq!(
        report.totals.minted,
        report
            .totals
            .held
            .checked_add(report.totals.burned)
            .unwrap()
    );
}
