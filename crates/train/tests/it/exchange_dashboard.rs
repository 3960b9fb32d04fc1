//! `vp exchange dashboard`, run as the real binary: one text frame of a
//! ledger written by `vp exchange transfer`, and a missing folder refused
//! with nothing created.

use crate::cli::{stderr_of, vp};

fn ok(args: &[&str]) -> String {
    let o = vp(args);
    assert!(o.status.success(), "vp {args:?}: {}", stderr_of(&o));
    String::from_utf8(o.stdout).expect("UTF-8 output")
}

/// Line of `frame` holding `needle`, by index.
fn line_of(frame: &str, needle: &str) -> usize {
    frame
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} in\n{frame}"))
}

#[test]
fn exchange_dashboard_prints_supply_experts_by_roi_and_signals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exchange");
    let d = dir.to_str().unwrap();
    ok(&["exchange", "init", "--dir", d]);
    for (id, ty, from, to, amount, reason) in [
        ("seed-a", "seed", "mint", "alpha", "100", ""),
        ("seed-b", "seed", "mint", "beta", "50", ""),
        ("seed-c", "seed", "mint", "gamma", "20", ""),
        ("cost-a", "prediction_cost", "alpha", "sink", "10", ""),
        ("cost-b", "prediction_cost", "beta", "sink", "10", ""),
        ("cost-c", "prediction_cost", "gamma", "sink", "4", ""),
        (
            "reward-a",
            "value_reward",
            "mint",
            "alpha",
            "30",
            "thumbs up",
        ),
        ("penalty-b", "value_penalty", "beta", "sink", "5", "ci fail"),
        ("reward-b", "value_reward", "mint", "beta", "3", "accepted"),
    ] {
        ok(&[
            "exchange", "transfer", "--dir", d, "--id", id, "--type", ty, "--from", from, "--to",
            to, "--amount", amount, "--reason", reason,
        ]);
    }
    let frame = ok(&["exchange", "dashboard", "--dir", d]);

    // Minted 100 + 50 + 20 + 30 + 3 = 203, burned 10 + 10 + 4 + 5 = 29:
    // alpha 120 + beta 38 + gamma 16 = 174 held.
    assert!(frame.contains("circulation 174.000000"), "{frame}");
    assert!(frame.contains("minted 203.000000"), "{frame}");
    assert!(frame.contains("burned 29.000000"), "{frame}");
    // All nine just now: 232 credits of volume.
    assert!(
        frame.contains("24 h volume 232.000000 (9 transactions)"),
        "{frame}"
    );
    assert!(frame.contains("market bull"), "{frame}");
    // ROI: alpha (30 − 10)/10 = 2, beta (3 − 15)/15 = −0.8, gamma −1.
    let (a, b, c) = (
        line_of(&frame, "alpha "),
        line_of(&frame, "beta "),
        line_of(&frame, "gamma "),
    );
    assert!(a < b && b < c, "ROI order in\n{frame}");
    let alpha = frame.lines().nth(a).unwrap();
    for cell in ["120.000000", "10.000000", "30.000000", "2.000", "1.000"] {
        assert!(alpha.contains(cell), "{cell} in {alpha:?}");
    }
    assert!(frame.lines().nth(b).unwrap().contains("-0.800"), "{frame}");
    // Signals, newest first, signed.
    let (r_b, p_b, r_a) = (
        line_of(&frame, "accepted"),
        line_of(&frame, "ci fail"),
        line_of(&frame, "thumbs up"),
    );
    assert!(
        c < r_b && r_b < p_b && p_b < r_a,
        "signal order in\n{frame}"
    );
    assert!(frame.lines().nth(r_b).unwrap().contains("+3.000000"));
    assert!(frame.lines().nth(p_b).unwrap().contains("-5.000000"));
    assert!(frame.lines().nth(r_a).unwrap().contains("+30.000000"));

    let few = ok(&[
        "exchange",
        "dashboard",
        "--dir",
        d,
        "--top",
        "1",
        "--signals",
        "1",
    ]);
    assert!(few.contains("alpha ") && !few.contains("gamma "), "{few}");
    assert!(
        few.contains("accepted") && !few.contains("thumbs up"),
        "{few}"
    );
}

#[test]
fn exchange_dashboard_of_a_missing_folder_fails_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("no-such-exchange");
    let d = dir.to_str().unwrap();
    let o = vp(&["exchange", "dashboard", "--dir", d]);
    assert!(!o.status.success());
    let err = stderr_of(&o);
    assert!(err.contains(d), "{err}");
    assert!(!dir.exists(), "the dashboard created {d}");

    // A folder without a ledger: refused, and no ledger file appears.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = vp(&["exchange", "dashboard", "--dir", empty.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr_of(&o).contains("ledger.sqlite"), "{}", stderr_of(&o));
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);

    // --watch without a terminal is refused before anything is read.
    let o = vp(&["exchange", "dashboard", "--dir", d, "--watch"]);
    assert!(!o.status.success());
    assert!(
        stderr_of(&o).contains("--watch needs a terminal"),
        "{}",
        stderr_of(&o)
    );
}
