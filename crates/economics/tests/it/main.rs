//! Integration tests of the economics crate: the shipped task configs,
//! malformed configs, and SPEC's golden numbers through the public API.

mod bayesian_ridge_sklearn;
mod golden_numbers;
mod malformed_configs;
mod novelty_recall;
mod shipped_configs;
