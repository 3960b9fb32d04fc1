//! The exchange: credit ledger, value signals, attribution, staking,
//! routing and the ATP scheduler that budgets GPU time across experts
//! (SPEC §7). No code yet.
