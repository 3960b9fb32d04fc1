//! The ledger's contract, run against both stores.

use exchange::{ExchangeError, SqliteLedger, TxType, export};
use serde_json::Value;

use crate::both_stores;
use crate::common::{Backend, c, tr};

both_stores!(
    transfers_move_balances_and_lifetime_figures,
    retried_identical_submission_applies_once,
    same_id_with_other_contents_is_refused,
    overdraft_is_refused_and_nothing_written,
    transfers_breaking_the_type_rules_are_refused,
    stored_transactions_cannot_be_updated_or_deleted,
    integrity_check_refuses_tampered_balances,
    ledger_survives_reopening,
    export_writes_the_seed_layout,
    database_enforces_the_type_rules_too,
);

fn database_enforces_the_type_rules_too(b: &Backend) {
    let _l = b.open().unwrap();
    for (ty, from, to) in [
        ("seed", "a", "b"),
        ("prediction_cost", "a", "b"),
        ("stake", "a", "b"),
        ("routing_fee", "a", "a"),
        ("deprecation", "sink", "a"),
    ] {
        let sql = format!(
            "INSERT INTO transactions (id, time_us, tx_type, from_party, to_party, amount, reason, metadata) \
             VALUES ('raw', 0, '{ty}', '{from}', '{to}', 1, '', 'null')"
        );
        let e = b.raw(&sql).unwrap_err();
        assert!(e.to_lowercase().contains("check"), "{ty} {from}->{to}: {e}");
    }
}

fn transfers_move_balances_and_lifetime_figures(b: &Backend) {
    let mut l = b.open().unwrap();
    for t in [
        tr("1", TxType::Seed, "mint", "a", 100),
        tr("2", TxType::PredictionCost, "a", "sink", 10),
        tr("3", TxType::ValueReward, "mint", "a", 30),
        tr("4", TxType::ValuePenalty, "a", "sink", 5),
        tr("5", TxType::Stake, "a", "a", 20),
        tr("6", TxType::RoutingFee, "a", "b", 5),
        tr("7", TxType::Unstake, "a", "a", 15),
        tr("8", TxType::Deprecation, "b", "sink", 5),
    ] {
        let applied = l.apply(&t).unwrap();
        assert!(!applied.duplicate);
        assert_eq!(applied.transaction.transfer, t);
    }
    let a = l.account("a").unwrap().unwrap();
    assert_eq!(a.available, c(105));
    assert_eq!(a.staked, c(5));
    assert_eq!((a.earned, a.spent, a.burned), (c(30), c(20), c(15)));
    assert_eq!(a.roi(), Some(0.5));
    assert_eq!(a.win_rate(), Some(0.5));
    assert_eq!(a.avg_value_per_prediction(), Some(25.0));
    let b_acc = l.account("b").unwrap().unwrap();
    assert_eq!(b_acc.available, c(0));
    let report = l.check_integrity().unwrap();
    assert_eq!(report.transactions, 8);
    assert_eq!(report.totals.minted, c(130));
    assert_eq!(report.totals.burned, c(20));
    assert_eq!(report.totals.held, c(110));
    let summaries = l.snapshot().unwrap().summaries();
    assert_eq!(summaries.len(), 2);
    assert_eq!(
        (summaries[0].id.as_str(), summaries[0].roi),
        ("a", Some(0.5))
    );
    let json = serde_json::to_value(&summaries[0]).unwrap();
    assert_eq!(json["available"], 105_000_000);
    assert_eq!(json["win_rate"], 0.5);
    let seqs: Vec<i64> = l
        .snapshot()
        .unwrap()
        .transactions
        .iter()
        .map(|t| t.seq)
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
}

fn retried_identical_submission_applies_once(b: &Backend) {
    let mut l = b.open().unwrap();
    let mut t = tr("seed-a", TxType::Seed, "mint", "a", 50);
    t.reason = "first funds".into();
    t.metadata = serde_json::json!({"round": 1, "note": "x"});
    let first = l.apply(&t).unwrap();
    let again = l.apply(&t).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.transaction, first.transaction);
    assert_eq!(l.account("a").unwrap().unwrap().available, c(50));
    assert_eq!(l.snapshot().unwrap().transactions.len(), 1);
}

fn same_id_with_other_contents_is_refused(b: &Backend) {
    let mut l = b.open().unwrap();
    l.apply(&tr("x", TxType::Seed, "mint", "a", 50)).unwrap();
    let before = l.snapshot().unwrap();
    let e = l
        .apply(&tr("x", TxType::Seed, "mint", "a", 51))
        .unwrap_err();
    match &e {
        ExchangeError::IdConflict { id, field, .. } => {
            assert_eq!((id.as_str(), *field), ("x", "amount"));
        }
        other => panic!("expected IdConflict, got {other:?}"),
    }
    assert!(e.to_string().contains("50.000000"), "{e}");
    let e = l
        .apply(&tr("x", TxType::Seed, "mint", "b", 50))
        .unwrap_err();
    assert!(
        matches!(e, ExchangeError::IdConflict { field: "to", .. }),
        "{e:?}"
    );
    assert_eq!(l.snapshot().unwrap(), before);
}

fn overdraft_is_refused_and_nothing_written(b: &Backend) {
    let mut l = b.open().unwrap();
    l.apply(&tr("1", TxType::Seed, "mint", "a", 10)).unwrap();
    let before = l.snapshot().unwrap();
    for t in [
        tr("2", TxType::PredictionCost, "a", "sink", 11),
        tr("3", TxType::Stake, "a", "a", 11),
        tr("4", TxType::Unstake, "a", "a", 1),
        tr("5", TxType::RoutingFee, "a", "b", 11),
        tr("6", TxType::Deprecation, "a", "sink", 11),
        tr("7", TxType::ValuePenalty, "nobody", "sink", 1),
    ] {
        let e = l.apply(&t).unwrap_err();
        assert!(
            matches!(
                e,
                ExchangeError::InsufficientFunds { .. } | ExchangeError::UnknownAccount { .. }
            ),
            "{e:?}"
        );
        assert_eq!(l.transaction(&t.id).unwrap(), None);
    }
    let e = l
        .apply(&tr("2", TxType::PredictionCost, "a", "sink", 11))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "transaction '2': overdraft refused, account 'a' has 10.000000 available credits, needs 11.000000"
    );
    assert_eq!(l.snapshot().unwrap(), before);
    // The refused id is still free.
    l.apply(&tr("2", TxType::PredictionCost, "a", "sink", 10))
        .unwrap();
}

fn transfers_breaking_the_type_rules_are_refused(b: &Backend) {
    let mut l = b.open().unwrap();
    l.apply(&tr("1", TxType::Seed, "mint", "a", 10)).unwrap();
    let before = l.snapshot().unwrap();
    for t in [
        tr("2", TxType::Seed, "a", "b", 1),
        tr("3", TxType::PredictionCost, "a", "b", 1),
        tr("4", TxType::Stake, "a", "b", 1),
        tr("5", TxType::RoutingFee, "a", "a", 1),
        tr("6", TxType::ValueReward, "mint", "sink", 1),
    ] {
        let e = l.apply(&t).unwrap_err();
        assert!(matches!(e, ExchangeError::InvalidTransfer { .. }), "{e:?}");
    }
    let mut zero = tr("7", TxType::Seed, "mint", "a", 1);
    zero.amount = c(0);
    assert!(matches!(
        l.apply(&zero),
        Err(ExchangeError::InvalidTransfer {
            field: "amount",
            ..
        })
    ));
    assert_eq!(l.snapshot().unwrap(), before);
}

fn stored_transactions_cannot_be_updated_or_deleted(b: &Backend) {
    let mut l = b.open().unwrap();
    l.apply(&tr("1", TxType::Seed, "mint", "a", 10)).unwrap();
    for sql in [
        "UPDATE transactions SET amount = 1",
        "DELETE FROM transactions",
    ] {
        let e = b.raw(sql).unwrap_err();
        assert!(e.contains("immutable"), "{sql}: {e}");
    }
    assert_eq!(l.snapshot().unwrap().transactions.len(), 1);
}

fn integrity_check_refuses_tampered_balances(b: &Backend) {
    {
        let mut l = b.open().unwrap();
        l.apply(&tr("1", TxType::Seed, "mint", "a", 10)).unwrap();
        l.apply(&tr("2", TxType::PredictionCost, "a", "sink", 3))
            .unwrap();
    }
    b.raw("UPDATE accounts SET available = available + 1000000 WHERE id = 'a'")
        .unwrap();
    let e = b.open().unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ExchangeError::Integrity { .. }), "{e:?}");
    assert!(msg.contains("refusing to start"), "{msg}");
    assert!(
        msg.contains(
            "account 'a' available: replay of its transactions gives 7000000, stored 8000000"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("credits not conserved: minted 10.000000 but held 8.000000 + burned 3.000000"),
        "{msg}"
    );
    b.raw("UPDATE accounts SET available = available - 1000000 WHERE id = 'a'")
        .unwrap();
    b.open().unwrap();
    b.raw("INSERT INTO accounts VALUES ('ghost', 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)")
        .unwrap();
    let msg = b.open().unwrap_err().to_string();
    assert!(
        msg.contains("account 'ghost' is stored but no transaction touches it"),
        "{msg}"
    );
}

fn ledger_survives_reopening(b: &Backend) {
    let first = {
        let mut l = b.open().unwrap();
        l.apply(&tr("1", TxType::Seed, "mint", "a", 10)).unwrap();
        l.apply(&tr("2", TxType::Stake, "a", "a", 4)).unwrap();
        l.snapshot().unwrap()
    };
    let mut l = b.open().unwrap();
    assert_eq!(l.snapshot().unwrap(), first);
    assert!(
        l.apply(&tr("2", TxType::Stake, "a", "a", 4))
            .unwrap()
            .duplicate
    );
}

fn read_json(p: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn export_writes_the_seed_layout(b: &Backend) {
    let mut l = b.open().unwrap();
    l.apply(&tr("1", TxType::Seed, "mint", "a", 100)).unwrap();
    l.apply(&tr("2", TxType::PredictionCost, "a", "sink", 10))
        .unwrap();
    let mut reward = tr("3", TxType::ValueReward, "mint", "a", 30);
    reward.value_signal_id = Some("sig-1".into());
    reward.prediction_id = Some("pred-1".into());
    l.apply(&reward).unwrap();
    l.apply(&tr("4", TxType::Stake, "a", "a", 20)).unwrap();
    l.apply(&tr("5", TxType::RoutingFee, "a", "b", 5)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let summary = export(l.as_mut(), out.path()).unwrap();
    assert_eq!((summary.transactions, summary.accounts), (5, 2));
    assert_eq!(summary.market_state, "bull");
    let ledger = std::fs::read_to_string(out.path().join("ledger.jsonl")).unwrap();
    let lines: Vec<Value> = ledger
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[2]["type"], "value_reward");
    assert_eq!(lines[2]["amount_micros"], 30_000_000);
    assert_eq!(lines[2]["amount"], 30.0);
    let a = read_json(&out.path().join("accounts/a.json"));
    assert_eq!(a["available"], 95.0);
    assert_eq!(a["staked_micros"], 20_000_000);
    assert_eq!(a["roi"], 1.0);
    let stakes = read_json(&out.path().join("stakes/active_stakes.json"));
    assert_eq!(stakes.as_array().unwrap().len(), 1);
    assert_eq!(stakes[0]["expert"], "a");
    let state = read_json(&out.path().join("market/market_state.json"));
    assert_eq!(state["state"], "bull");
    assert_eq!(state["circulation"], 120.0);
    let history = std::fs::read_to_string(out.path().join("market/price_history.jsonl")).unwrap();
    assert_eq!(history.lines().count(), 1);
    let days: Vec<_> = std::fs::read_dir(out.path().join("value_signals"))
        .unwrap()
        .collect();
    assert_eq!(days.len(), 1);
    let day = days[0].as_ref().unwrap().path();
    let signals = std::fs::read_to_string(day.join("signals.jsonl")).unwrap();
    let s: Value = serde_json::from_str(signals.lines().next().unwrap()).unwrap();
    assert_eq!(
        (s["expert"].as_str(), s["value"].as_f64()),
        (Some("a"), Some(30.0))
    );
    assert_eq!(s["value_signal_id"], "sig-1");
    export(l.as_mut(), out.path()).unwrap();
    let tracked =
        std::fs::read_to_string(out.path().join("tracked/exchange_summary.jsonl")).unwrap();
    assert_eq!(tracked.lines().count(), 2);
    let _ = SqliteLedger::FILE_NAME;
}
