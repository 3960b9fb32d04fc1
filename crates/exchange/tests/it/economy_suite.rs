//! Value signals, stakes, deprecation, system actors and the market rules
//! writing through both stores: each rule applies once when replayed and
//! the ledger passes its integrity check afterwards.

use exchange::{
    Contribution, DeprecationReason, INSURANCE_POOL, MarketPolicy, MarketState, SignalEvent,
    SignalTable, StakeClaim, SystemActors, active_stakes, place_stake, resolve_stake,
    settle_signal,
};

use crate::both_stores;
use crate::common::{Backend, c};

both_stores!(
    a_round_of_the_economy_replays_once,
    a_weak_expert_is_deprecated_in_a_bear_market,
);

fn a_round_of_the_economy_replays_once(b: &Backend) {
    let mut l = b.open().unwrap();
    let actors = SystemActors::default();
    let table = SignalTable::default();
    for e in ["x", "y"] {
        actors.seed(l.as_mut(), e).unwrap();
    }
    // Thumbs up (10 × 0.9 = 9) split: x has a, b of {a, b, c} at 1.0 →
    // 2/3 + 0.2 = 0.866667, y has c at 0.5 → 1/3 + 0.05 = 0.383333;
    // disagreement x: 0/2 shared → 1 > 0.5 → +0.2; y: 0/1 → 1 → +0.2.
    // raw x 1.066667, y 0.583333, sum 1.65: x 9·1.066667/1.65 = 5.818182,
    // y 9·0.583333/1.65 = 3.181818.
    let ev = SignalEvent::from_table(&table, "up-1", "thumbs_up", 0).unwrap();
    let winners: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let parts = ev
        .attribute(
            &winners,
            &[
                Contribution::new("x", &[("a", 1.0), ("b", 1.0)]),
                Contribution::new("y", &[("c", 0.5)]),
            ],
        )
        .unwrap();
    for _ in 0..2 {
        for p in &parts {
            settle_signal(l.as_mut(), p).unwrap();
        }
    }
    assert_eq!(
        l.account("x").unwrap().unwrap().available,
        "105.818182".parse().unwrap()
    );
    assert_eq!(
        l.account("y").unwrap().unwrap().available,
        "103.181818".parse().unwrap()
    );

    // Stake 10 at 0.9 resolved at 0.2: payout 0, penalty 10.
    let claim = StakeClaim {
        id: "k1".into(),
        expert: "y".into(),
        amount: c(10),
        claimed: 0.9,
        prediction_id: None,
    };
    place_stake(l.as_mut(), &claim).unwrap();
    assert_eq!(active_stakes(&l.snapshot().unwrap().transactions).len(), 1);
    for _ in 0..2 {
        resolve_stake(l.as_mut(), "k1", 0.2).unwrap();
    }
    assert_eq!(
        l.account("y").unwrap().unwrap().available,
        "93.181818".parse().unwrap()
    );
    assert!(active_stakes(&l.snapshot().unwrap().transactions).is_empty());

    // Insurance premium on x's reward: 5 % of 5.818182 = 0.290909.
    let reward = l.transaction("vs:up-1:x").unwrap().unwrap();
    for _ in 0..2 {
        actors.insurance_premium(l.as_mut(), &reward).unwrap();
    }
    assert_eq!(
        l.account(INSURANCE_POOL).unwrap().unwrap().available,
        "0.290909".parse().unwrap()
    );
    // The pool holds 0.29 < 1 credit, but it is no expert: the market
    // round leaves it alone and consults x and y.
    let r = MarketPolicy::default().apply(l.as_mut(), &[]).unwrap();
    assert!(r.deprecated.is_empty(), "{:?}", r.deprecated);
    assert_eq!(r.consultable, ["x", "y"]);
    let report = l.check_integrity().unwrap();
    // minted 200 + 9 = 209 = held + burned 10.
    assert_eq!(report.totals.minted, c(209));
    assert_eq!(report.totals.burned, c(10));
}

fn a_weak_expert_is_deprecated_in_a_bear_market(b: &Backend) {
    let mut l = b.open().unwrap();
    let actors = SystemActors::default();
    let table = SignalTable::default();
    actors.seed(l.as_mut(), "w").unwrap();
    // Three thumbs down: −15 × 0.9 = −13.5 each: 100 − 40.5 = 59.5 left,
    // win rate 0 → weak.
    for i in 0..3 {
        let ev = SignalEvent::from_table(&table, &format!("down-{i}"), "thumbs_down", 0).unwrap();
        settle_signal(l.as_mut(), &ev.to_expert("w").unwrap()).unwrap();
    }
    let policy = MarketPolicy::default();
    let r = policy.apply(l.as_mut(), &[]).unwrap();
    assert_eq!(
        r.window.state,
        MarketState::Bull,
        "100 minted > 40.5 burned"
    );
    assert_eq!(r.consultable, ["w"]);
    let r = policy.apply_in(l.as_mut(), MarketState::Bear, &[]).unwrap();
    assert_eq!(r.deprecated.len(), 1);
    assert_eq!(r.deprecated[0].1, DeprecationReason::WeakInBearMarket);
    assert!(r.consultable.is_empty());
    assert_eq!(l.check_integrity().unwrap().totals.held, c(0));
}
